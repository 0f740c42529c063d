"""Stdio transport that answers a line it cannot read, as JSON-RPC 2.0 asks.

The SDK's stdio transport (2.3.0) hands such a line to the server as an exception, and the server drops
it: a client that sent broken JSON waits for an answer that never comes. Here those items become
-32700 (not JSON) or -32600 (JSON, but not a JSON-RPC message) errors with id null; everything else
passes through untouched, read in the same step (no extra task or stream between the transport and the
server, so a call costs no more than on the bare SDK).
"""

from __future__ import annotations

import contextvars
from typing import Any, Protocol

import anyio
from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import ErrorData, JSONRPCError
from pydantic import ValidationError

from mcp_tools.server.pipes import MessageSource, claim_pipes, serve_pipes

__all__ = ["error_for_unreadable", "run_stdio"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


def error_for_unreadable(exc: Exception) -> SessionMessage:
    not_json = isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors())
    code, text = (PARSE_ERROR, "Parse error: not JSON") if not_json else (INVALID_REQUEST, "Invalid Request")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=code, message=text)))


class _Incoming(Protocol):
    async def receive(self) -> SessionMessage | Exception: ...
    async def aclose(self) -> None: ...


class _Outgoing(Protocol):
    async def send(self, item: SessionMessage, /) -> None: ...


class _Answering(MessageSource):
    """The transport's read side with every unreadable line answered at once and left out."""

    def __init__(self, incoming: _Incoming, outgoing: _Outgoing) -> None:
        self._incoming = incoming
        self._outgoing = outgoing

    @property
    def last_context(self) -> contextvars.Context | None:
        # The sender's context, which the SDK's runner reads off a context-aware stream.
        context: contextvars.Context | None = getattr(self._incoming, "last_context", None)
        return context

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._incoming.receive()
            if not isinstance(item, Exception):
                return item
            await self._outgoing.send(error_for_unreadable(item))

    async def aclose(self) -> None:
        await self._incoming.aclose()


async def run_stdio(server: Server[Any]) -> None:
    """Serve on stdin and stdout: on the event loop when both are pipes, else through the SDK's transport."""
    with claim_pipes() as pipes:
        if pipes is not None:
            async with serve_pipes(pipes) as (incoming, outgoing, output_closed):

                async def end_when_output_closes() -> None:
                    await output_closed
                    raise BrokenPipeError("the client closed the server's output")

                async with anyio.create_task_group() as group:
                    group.start_soon(end_when_output_closes)
                    await server.run(
                        _Answering(incoming, outgoing), outgoing, server.create_initialization_options()
                    )
                    group.cancel_scope.cancel()
            return
    async with stdio_server() as (incoming, outgoing):
        await server.run(_Answering(incoming, outgoing), outgoing, server.create_initialization_options())
