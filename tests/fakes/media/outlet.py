"""The chat fake's Outlet (pauses, hang-ups) plus what media needs: raw bodies and lazy big streams."""

from __future__ import annotations

import asyncio

from tests.fakes.minimax.outlet import Outlet

_ZEROS = bytes(64 * 1024)  # allocated once: an oversize body is this chunk, sent again and again


class MediaOutlet(Outlet):
    def gone(self) -> bool:
        """True once the client has hung up (the request body must already be read)."""
        return self._watch().done()

    async def start(self, status: int, content_type: str, headers: dict[str, str] | None = None) -> None:
        await self._start(status, content_type, headers or {})

    async def chunk(self, data: bytes, more: bool = True) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": more})

    async def raw(
        self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        await self.start(status, content_type, {"content-length": str(len(data)), **(headers or {})})
        await self.chunk(data, more=False)

    async def stream(self, head: bytes, total: int) -> int:
        """Send `head` then zeros up to `total` bytes, lazily; stop early when the client hangs up.
        Returns the bytes sent. uvicorn's send waits while the socket buffer is full, so this only
        runs as fast as the client reads."""
        sent = 0
        while sent < total:
            await asyncio.sleep(0)  # let the disconnect watcher run
            if self.gone():
                return sent
            if head:
                piece, head = head[: total - sent], b""
            else:
                piece = _ZEROS[: total - sent]
            await self.chunk(piece)
            sent += len(piece)
        await self.chunk(b"", more=False)
        return sent
