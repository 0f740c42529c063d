"""The HTTP guard in front of the MCP endpoint: Host (421), Origin (403), then the bearer token (401).

A plain ASGI middleware in the manner of Starlette's TrustedHostMiddleware. The token is compared in
constant time. A request without Origin is allowed (non-browser clients send none); a browser page on
another origin is refused before the token is even looked at. A request that repeats one of these three
headers is refused outright (400): parts of a stack that read the first copy and parts that read the last
would each see a different request, and an attacker picks the copy that passes.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HttpGuard"]

# The headers the checks below rely on; each must come at most once.
_SINGLE = frozenset({b"host", b"origin", b"authorization"})


class HttpGuard:
    def __init__(
        self, app: ASGIApp, *, token: str, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]
    ) -> None:
        self.app = app
        self._token = token.encode()
        self._hosts = {h.lower() for h in allowed_hosts}
        self._origins = {o.lower().rstrip("/") for o in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            name = name.lower()  # ASGI servers lower-case names already; a hand-made scope may not
            if name in _SINGLE and name in headers:
                await _refuse(send, 400, f"bad request: more than one {name.decode().title()} header")
                return
            headers[name] = value
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self._hosts:
            await _refuse(send, 421, "misdirected request: this server does not answer for that Host")
            return
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1").lower().rstrip("/") not in self._origins:
            await _refuse(send, 403, "forbidden: requests from this Origin are not allowed")
            return
        # The scheme is case-insensitive (RFC 9110 11.1); the token itself is compared in constant time.
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(b" "), self._token):
            await _refuse(
                send,
                401,
                "unauthorized: send `Authorization: Bearer <token>`; the token is in the file the "
                "server printed at start-up",
                extra=[(b"www-authenticate", b'Bearer realm="m2bridge"')],
            )
            return
        await self.app(scope, receive, send)


async def _refuse(
    send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})
