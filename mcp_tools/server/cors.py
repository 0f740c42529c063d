"""CORS for the pages the user named with `--allow-origin`: plain ASGI middleware outside the HTTP guard.

Browsers send a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) before any request
that carries `Authorization`, and never put credentials on it; so a preflight is answered here, without
the token, and only when everything the guard checks apart from the token is right: one Origin from the
allowed list, an allowed Host (DNS rebinding), the MCP path and one of the methods Streamable HTTP uses.
Every other request, an `OPTIONS` that is not such a preflight included, goes on to the guard, which wants
the token. The preflight answer is fixed: it says what we accept and grants nothing the guard does not.

Answers to an allowed Origin (the guard's 400/401/403/421 refusals included, so a page can read why) name
that one origin, never `*`, and expose `Mcp-Session-Id`, which a page must read to continue its session.
No `Access-Control-Allow-Credentials`: the token is a header the page sets itself, not a cookie, and
without that header the browser never sends cookies or HTTP authentication it holds for this server.
Any other Origin gets no CORS header at all. Every answer says `Vary: Origin`, because its CORS headers
depend on that header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from m2bridge.errors import ConfigError

__all__ = ["CorsMiddleware", "normalize_origin"]

METHODS = ("GET", "POST", "DELETE", "OPTIONS")
# What the SDK's clients send: the 2025 transport's headers, and the 2026-07-28 routing headers.
HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
    "mcp-method",
    "mcp-name",
)
EXPOSED = ("Mcp-Session-Id", "Mcp-Protocol-Version")
# Ten minutes: a page does not preflight every call, and a narrowed --allow-origin takes effect soon.
MAX_AGE = 600

# scheme://host[:port], as a browser serialises an Origin; no path, user, query, wildcard or `null`.
_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def normalize_origin(value: str) -> str:
    """An `--allow-origin` value as a browser would send it (lower case, no trailing slash), or a one-line
    ConfigError: `*`, `null` and anything that is not a single origin would trust more than was meant."""
    origin = value.strip().lower()
    origin = origin[:-1] if origin.endswith("/") else origin
    found = _ORIGIN.fullmatch(origin)
    if found is None or (found["port"] is not None and not 0 < int(found["port"]) < 65536):
        raise ConfigError(
            f"--allow-origin {value!r} is not an origin: give scheme://host[:port] as the browser shows it, "
            "e.g. http://localhost:5173 (`*` and `null` are never accepted)"
        )
    return origin


class CorsMiddleware:
    def __init__(
        self, app: ASGIApp, *, allowed_origins: Iterable[str], allowed_hosts: Iterable[str], path: str
    ) -> None:
        self.app = app
        self._origins = frozenset(normalize_origin(o) for o in allowed_origins)
        self._hosts = frozenset(h.lower() for h in allowed_hosts)
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins: list[bytes] = []
        hosts: list[bytes] = []
        requested: list[bytes] = []
        for name, value in scope["headers"]:
            name = name.lower()
            if name == b"origin":
                origins.append(value)
            elif name == b"host":
                hosts.append(value)
            elif name == b"access-control-request-method":
                requested.append(value)
        # A repeated Origin is never allowed here; the guard refuses it (400).
        origin = origins[0] if len(origins) == 1 and self._allowed(origins[0]) else None
        if origin is None:
            await self.app(scope, receive, _adding(send, []))
            return
        if self._preflight(scope, hosts, requested):
            await _answer_preflight(send, origin)
            return
        granted = [
            (b"access-control-allow-origin", origin),
            (b"access-control-expose-headers", ", ".join(EXPOSED).encode()),
        ]
        await self.app(scope, receive, _adding(send, granted))

    def _allowed(self, origin: bytes) -> bool:
        text = origin.decode("latin-1")
        # Compared as the guard compares it; the value echoed back is the browser's own bytes.
        return text.lower().rstrip("/") in self._origins

    def _preflight(self, scope: Scope, hosts: list[bytes], requested: list[bytes]) -> bool:
        return (
            scope["method"] == "OPTIONS"
            and scope["path"] == self._path
            and len(hosts) == 1
            and hosts[0].decode("latin-1").lower() in self._hosts
            and len(requested) == 1
            and requested[0].decode("latin-1") in METHODS
        )


async def _answer_preflight(send: Send, origin: bytes) -> None:
    headers = [
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-methods", ", ".join(METHODS).encode()),
        (b"access-control-allow-headers", ", ".join(HEADERS).encode()),
        (b"access-control-max-age", str(MAX_AGE).encode()),
        (b"vary", b"Origin"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """`send`, with `extra` headers and `Vary: Origin` added to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = _with_vary(list(message.get("headers", [])))
            message = {**message, "headers": headers + extra}
        await send(message)

    return sending


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            named = {part.strip().lower() for part in value.split(b",")}
            if not named & {b"origin", b"*"}:
                headers[index] = (name, value + b", Origin")
            return headers
    return [*headers, (b"vary", b"Origin")]
