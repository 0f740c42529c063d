"""Serving an ASGI app with uvicorn's HTTP/1.1 protocol on 127.0.0.1 from a background thread."""

from __future__ import annotations

import asyncio
import threading

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from tests.fakes.minimax.outlet import TRANSPORT_KEY


class _ExposingH11Protocol(H11Protocol):
    """uvicorn's protocol, but the app can reach the transport (to hang up without a response)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = transport
            await inner(scope, receive, send)

        self.app = app


class ServerThread:
    """Owns its event loop and listening socket; stop() drops every connection at once."""

    def __init__(self, app: ASGIApp) -> None:
        # log_config=None: leave the test process's logging alone.
        self._config = uvicorn.Config(
            app, log_config=None, lifespan="off", ws="none", proxy_headers=False, access_log=False
        )
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.port = 0

    def start(self) -> int:
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name="fake-minimax", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("fake server did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("fake server failed to start") from self._error
        return self.port

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._config.load()
        state = ServerState()
        self._stopping = asyncio.Event()
        server = await loop.create_server(
            lambda: _ExposingH11Protocol(self._config, state, {}, loop), host="127.0.0.1", port=0
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        for connection in list(state.connections):
            connection.transport.abort()
        # Handlers notice the hang-up and return quietly; only stragglers get cancelled (and logged).
        tasks = list(state.tasks)
        if tasks:
            _, stragglers = await asyncio.wait(tasks, timeout=1)
            for task in stragglers:
                task.cancel()
            await asyncio.gather(*stragglers, return_exceptions=True)
        await server.wait_closed()
