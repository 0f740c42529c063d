"""Streamable HTTP: the SDK's Starlette app at /mcp, behind the guard and CORS, served by uvicorn on one
socket.

The layers, outside in: CORS (answers a browser's preflight from an `--allow-origin` page, which carries no
token, and marks every answer to such a page), the guard (Host 421, Origin 403, token 401), the SDK app
(which checks Host and Origin again).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

import uvicorn
from mcp.server import Server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from mcp_tools.loopback import is_loopback
from mcp_tools.server.cors import CorsMiddleware, normalize_origin
from mcp_tools.server.guard import HttpGuard

__all__ = ["bind_socket", "build_http_app", "http_server", "is_loopback"]

ENDPOINT = "/mcp"


def _host_names(host: str, port: int) -> list[str]:
    names = {host}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return [f"[{n}]:{port}" if ":" in n and not n.startswith("[") else f"{n}:{port}" for n in sorted(names)]


def build_http_app(
    server: Server[Any], *, token: str, host: str, port: int, extra_origins: Sequence[str] = ()
) -> ASGIApp:
    hosts = _host_names(host, port)
    # Lower case as a browser sends them: the SDK's own check below compares exactly.
    pages = [normalize_origin(o) for o in extra_origins]
    origins = [f"http://{h}" for h in hosts] + pages
    # The SDK's own DNS-rebinding check stays on too, with the same lists: two locks, one key.
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
    app = server.streamable_http_app(streamable_http_path=ENDPOINT, transport_security=security)
    guarded = HttpGuard(app, token=token, allowed_hosts=hosts, allowed_origins=origins)
    # CORS only for the pages named with --allow-origin: this server's own origins serve no page.
    return CorsMiddleware(guarded, allowed_origins=pages, allowed_hosts=hosts, path=ENDPOINT)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming TCP makes asyncio set TCP_NODELAY on accepted connections; without it every reply on a
    # kept-alive connection waited ~40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def http_server(app: ASGIApp) -> uvicorn.Server:
    """A uvicorn server for `app`; stop it with `should_exit = True`, so its lifespan ends cleanly."""
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
