"""Streamable HTTP: the SDK's Starlette app at /mcp, behind the guard, served by uvicorn on one socket."""

from __future__ import annotations

import socket
from collections.abc import Sequence

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from mcp_tools.guard import HttpGuard
from mcp_tools.loopback import is_loopback

__all__ = ["bind_socket", "build_http_app", "http_server", "is_loopback"]

ENDPOINT = "/mcp"


def _host_names(host: str, port: int) -> list[str]:
    names = {host}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return [f"[{n}]:{port}" if ":" in n and not n.startswith("[") else f"{n}:{port}" for n in sorted(names)]


def build_http_app(
    server: MCPServer, *, token: str, host: str, port: int, extra_origins: Sequence[str] = ()
) -> ASGIApp:
    hosts = _host_names(host, port)
    origins = [f"http://{h}" for h in hosts] + list(extra_origins)
    # The SDK's own DNS-rebinding check stays on too, with the same lists: two locks, one key.
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
    app = server.streamable_http_app(streamable_http_path=ENDPOINT, transport_security=security)
    return HttpGuard(app, token=token, allowed_hosts=hosts, allowed_origins=origins)


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
