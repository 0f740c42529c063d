"""Sending one HTTP response over ASGI, with the fake's extra powers: pauses and abrupt hang-ups."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from tests.fakes.minimax.rendering import to_json

# server.py puts the connection's asyncio transport here, so a response can hang up mid-body.
TRANSPORT_KEY = "m2bridge.fake.transport"


class Outlet:
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._watcher: asyncio.Task[Message] | None = None

    def _watch(self) -> asyncio.Task[Message]:
        # The request body is already read, so receive() now only returns on disconnect (or when done).
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._receive())
        return self._watcher

    async def pause(self, seconds: float) -> bool:
        """Sleep; False if the client hung up meanwhile (then there is no one left to answer)."""
        if seconds <= 0:
            return True
        done, _ = await asyncio.wait({self._watch()}, timeout=seconds)
        return not done

    async def _start(self, status: int, content_type: str, extra: dict[str, str]) -> None:
        headers = {"content-type": content_type, **extra}
        await self._send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )

    async def json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = to_json(body).encode()
        extra = {"content-length": str(len(data)), **(headers or {})}
        await self._start(status, "application/json", extra)
        await self._send({"type": "http.response.body", "body": data, "more_body": False})

    async def sse(self, frames: list[str], delay: float, finish: bool = True) -> None:
        await self._start(200, "text/event-stream", {"cache-control": "no-cache"})
        for i, frame in enumerate(frames):
            if i and not await self.pause(delay):
                return
            await self._send({"type": "http.response.body", "body": frame.encode(), "more_body": True})
        if finish:
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def hang_up(self) -> None:
        """Close the connection wherever the response is; the client sees a protocol error."""
        transport = self._scope["extensions"][TRANSPORT_KEY]
        transport.close()
        # Wait for uvicorn to notice, so it neither answers 500 nor logs an incomplete response.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._watch()), timeout=2)

    async def close(self) -> None:
        if self._watcher is not None and not self._watcher.done():
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
