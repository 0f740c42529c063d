"""Stdio transport that answers a line it cannot read, as JSON-RPC 2.0 asks.

The SDK's stdio transport (2.3.0) hands such a line to the server as an exception, and the server drops
it: a client that sent broken JSON waits for an answer that never comes. Here those items become
-32700 (not JSON) or -32600 (JSON, but not a JSON-RPC message) errors with id null; everything else
passes through untouched.
"""

from __future__ import annotations

import math

import anyio
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import ErrorData, JSONRPCError
from pydantic import ValidationError

__all__ = ["error_for_unreadable", "run_stdio"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


def error_for_unreadable(exc: Exception) -> SessionMessage:
    not_json = isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors())
    code, text = (PARSE_ERROR, "Parse error: not JSON") if not_json else (INVALID_REQUEST, "Invalid Request")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=code, message=text)))


async def run_stdio(server: MCPServer) -> None:
    # The low-level server is what the SDK's own run_stdio_async runs; MCPServer exposes no seam for a
    # filter between the transport and it. mcp is pinned, and a test fails if this stops answering.
    lowlevel = server._lowlevel_server
    async with stdio_server() as (incoming, outgoing):
        readable_send, readable = anyio.create_memory_object_stream[SessionMessage | Exception](math.inf)

        async def sort_lines() -> None:
            async with incoming, readable_send:
                async for item in incoming:
                    if isinstance(item, Exception):
                        await outgoing.send(error_for_unreadable(item))
                    else:
                        await readable_send.send(item)

        async with anyio.create_task_group() as group:
            group.start_soon(sort_lines)
            await lowlevel.run(readable, outgoing, lowlevel.create_initialization_options())
