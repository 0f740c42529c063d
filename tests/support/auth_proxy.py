"""A loopback reverse proxy that adds `Authorization: Bearer <token>`, for outside suites that cannot send it.

The MCP conformance suite takes only a URL. This proxy sits on 127.0.0.1 in front of `m2bridge mcp --http`,
adds the bearer token to every request and passes everything else through: methods, bodies, status codes,
`Mcp-Session-Id` and the other headers both ways, and response bodies chunk by chunk as they arrive, so a
Server-Sent Events stream reaches the client unbuffered. It lives only in tests: the server's token is never
turned off.

Host and Origin: the proxy and the server listen on different ports, and the server checks the port in both
(DNS rebinding). A Host or Origin naming the proxy itself (127.0.0.1, localhost or [::1] at the proxy's port)
is rewritten to the same name at the server's port, as a port forward would; any other value goes through
verbatim, so a rebinding attempt still reaches the server's own check.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import anyio
import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AuthProxy", "loopback_socket", "running_proxy", "serving"]

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are not forwarded.
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Requests here are JSON-RPC messages; anything larger is a mistake worth a clear refusal.
_MAX_REQUEST_BYTES = 16 * 1024 * 1024


class AuthProxy:
    """An ASGI app forwarding every HTTP request to `upstream` (scheme://host:port) with the bearer token."""

    def __init__(self, upstream: str, token: str, own_port: int) -> None:
        parts = urlsplit(upstream)
        if parts.port is None:
            raise ValueError(f"upstream {upstream!r} names no port")
        self._upstream = f"{parts.scheme}://{parts.netloc}"
        # Host and Origin values that name the proxy, each mapped to the same name at the server's port.
        self._hosts = {f"{n}:{own_port}".encode(): f"{n}:{parts.port}".encode() for n in _LOOPBACK_NAMES}
        self._origins = {b"http://" + mine: b"http://" + theirs for mine, theirs in self._hosts.items()}
        self._authorization = f"Bearer {token}".encode()
        # No pool limit on streams: a client may hold several SSE streams open at once.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(60, read=None), limits=httpx.Limits())

    async def aclose(self) -> None:
        await self._client.aclose()

    def _request_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        headers = []
        for name, value in scope["headers"]:
            name = name.lower()
            if name in _HOP_BY_HOP or name in (b"authorization", b"content-length"):
                continue
            if name == b"host":
                value = self._hosts.get(value.lower(), value)
            elif name == b"origin":
                value = self._origins.get(value.lower(), value)
            headers.append((name, value))
        headers.append((b"authorization", self._authorization))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off: the client is closed by `running_proxy`
            return
        body = await _read_body(receive)
        if body is None:
            await _plain(send, 413, b"request body too large for the test proxy")
            return
        target = self._upstream + scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        # A bare Request adds no default headers (httpx's client would add Accept-Encoding, User-Agent...).
        request = httpx.Request(scope["method"], target, headers=self._request_headers(scope), content=body)
        try:
            upstream = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await _plain(send, 502, f"test proxy: upstream unreachable: {exc}".encode())
            return
        try:
            async with anyio.create_task_group() as group:
                # The client hanging up (a cancelled SSE read) ends the upstream stream too.
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await _relay(upstream, send)
                group.cancel_scope.cancel()
        finally:
            await upstream.aclose()


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _relay(upstream: httpx.Response, send: Send) -> None:
    headers = [(k.lower(), v) for k, v in upstream.headers.raw if k.lower() not in _HOP_BY_HOP]
    await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
    # Raw bytes exactly as the server sent them (still compressed if it compressed), each chunk on arrival.
    async for chunk in upstream.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    message: Message = {"type": ""}
    while message["type"] != "http.disconnect":
        message = await receive()
    scope.cancel()


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def loopback_socket() -> socket.socket:
    """A listening TCP socket on 127.0.0.1 at a free port: the port is known before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def serving(
    app: ASGIApp, sock: socket.socket, on_exit: Callable[[], Awaitable[None]] | None = None
) -> Iterator[str]:
    """Serve `app` with uvicorn on `sock` in a thread with its own event loop; yields the base URL.

    A thread, so sync tests and async tests alike can use it; `on_exit` runs on that loop at the end."""
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", server_header=False, date_header=False,
        access_log=False, timeout_graceful_shutdown=2,
    )  # fmt: skip
    server = uvicorn.Server(config)
    failed: list[BaseException] = []

    async def main() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            if on_exit is not None:
                await on_exit()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the caller below, not lost in the thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="asgi-in-thread", daemon=True)
    thread.start()
    try:
        for _ in range(500):  # up to 10 s for uvicorn to start
            if server.started or failed or not thread.is_alive():
                break
            threading.Event().wait(0.02)
        if not server.started:
            raise RuntimeError(f"the test server did not start: {failed[0] if failed else 'timed out'}")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@contextmanager
def running_proxy(upstream: str, token: str) -> Iterator[str]:
    """An `AuthProxy` for `upstream` (the server's URL; its path is ignored) on 127.0.0.1 at a free port.

    Yields the proxy's base URL, without a path: add the server's path, e.g. `/mcp`."""
    sock = loopback_socket()
    proxy = AuthProxy(upstream, token, sock.getsockname()[1])
    with serving(proxy, sock, on_exit=proxy.aclose) as url:
        yield url
