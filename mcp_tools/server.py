"""The MCP server: the engine's tools, registered on the SDK's `MCPServer` with their own schemas.

Each tool keeps one implementation; this module only adapts it: the SDK sees a function whose signature
mirrors the tool's argument model, progress goes out as MCP progress notifications, and the roots a client
announces narrow the path policy for its calls. It serves tools only: prompts and resources are neither
declared nor answered, and a client's mistakes stay out of the log (`mcp_tools.server_log`).
"""

from __future__ import annotations

import base64
import inspect
import logging
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool as SdkTool
from mcp_types import (
    AudioContent,
    CallToolResult,
    ImageContent,
    ListRootsRequest,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel

from m2bridge import __version__
from m2bridge.tools import ToolOutcome, progress_reporter
from mcp_tools.base import ModelTool
from mcp_tools.context import ToolContext
from mcp_tools.paths import PathPolicy
from mcp_tools.server_log import configure_logging

__all__ = ["build_server"]

_log = logging.getLogger("m2bridge.mcp")

_INSTRUCTIONS = (
    "Repo, terminal and M2 tools bounded by the server's roots. Paths are relative to the first root or "
    "absolute inside one. Long outputs are cut to head and tail; the whole is saved to a file that "
    "read_file can page through. m2_task hands a whole task to a MiniMax-M2 agent. The media tools "
    "(text_to_image, generate_video, text_to_audio, music_generation, voices) call MiniMax's media API "
    "and save files under the data folder or output_directory."
)


# MCPServer registers handlers for prompts and resources whether or not it holds any, and the SDK
# declares a capability for every method it has a handler for. This server has neither: without the
# handlers the capabilities are not declared, and each of these methods is answered -32601 Method not
# found (before, prompts/get of any name was error code 0 with a traceback in the log).
_NOT_SERVED = (
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
)


def build_server(tools: Sequence[ModelTool[Any]], context: ToolContext) -> MCPServer:
    configure_logging()
    registered = [_registered(tool, context) for tool in tools]
    server = MCPServer(
        "m2bridge", version=__version__, instructions=_INSTRUCTIONS, log_level="WARNING", tools=registered
    )
    # The low-level server has no public way to drop a handler; mcp is pinned, and a test that reads the
    # declared capabilities fails if this stops working.
    handlers = server._lowlevel_server._request_handlers
    for method in _NOT_SERVED:
        handlers.pop(method, None)
    return server


def _registered(tool: ModelTool[Any], context: ToolContext) -> SdkTool:
    """The SDK's record of a tool, publishing the tool's own schema.

    The SDK validates arguments against a model built from the entry point's signature. That signature
    takes every argument as optional `Any`, so validation happens once, in the tool, whose messages say
    what to fix (the SDK's would be raw pydantic text naming an internal model).
    """
    spec = tool.spec
    registered = SdkTool.from_function(
        _entry_point(tool, context),
        name=spec.name,
        description=spec.description,
        annotations=ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=spec.open_world,
        ),
        structured_output=False,
    )
    return registered.model_copy(update={"parameters": dict(spec.input_schema)})


def _entry_point(tool: ModelTool[Any], context: ToolContext) -> Any:
    async def call(ctx: Context, **arguments: Any) -> CallToolResult:
        async def forward(done: float, total: float | None, message: str | None) -> None:
            try:
                await ctx.report_progress(done, total, message)
            except Exception:  # a client that went away must not fail the tool
                _log.debug("progress notification not delivered", exc_info=True)

        # Arguments the client left out arrive as None; the tool's own model supplies their defaults.
        given = {name: value for name, value in arguments.items() if value is not None}
        narrowed = await _client_policy(ctx, context.base_policy)
        token = progress_reporter.set(forward)
        try:
            with context.narrowed_to(narrowed) if narrowed is not None else nullcontext():
                outcome = await tool.call(given)
        finally:
            progress_reporter.reset(token)
        return _as_result(outcome)

    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    for name in tool.arguments.model_fields:
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any)
        )
    call.__signature__ = inspect.Signature(parameters, return_annotation=CallToolResult)  # type: ignore[attr-defined]
    call.__name__ = tool.name
    return call


def _as_result(outcome: ToolOutcome) -> CallToolResult:
    """The outcome as MCP content: its text, then any image or audio inline for clients that show it."""
    content: list[TextContent | ImageContent | AudioContent] = [
        TextContent(type="text", text=outcome.content)
    ]
    for blob in outcome.media:
        data = base64.b64encode(blob.data).decode("ascii")
        if blob.kind == "image":
            content.append(ImageContent(type="image", data=data, mime_type=blob.mime_type))
        else:
            content.append(AudioContent(type="audio", data=data, mime_type=blob.mime_type))
    return CallToolResult(content=content, is_error=outcome.is_error)


class _Root(BaseModel):
    uri: str


class _Roots(BaseModel):
    """A roots/list answer read as the wire has it: the SDK's own model refuses the whole list when one
    URI is not file://, where this server keeps the file roots and skips the rest (`PathPolicy.narrowed`)."""

    roots: list[_Root]


async def _client_policy(ctx: Context, base: PathPolicy) -> PathPolicy | None:
    """The client's roots intersected with ours, listed afresh for each call (so a change the client
    announced with roots/list_changed applies at once); None to keep ours. An empty list keeps ours too
    (`PathPolicy.narrowed`)."""
    try:
        capabilities = ctx.client_capabilities
    except Exception:
        return None
    if capabilities is None or capabilities.roots is None:
        return None
    try:
        with warnings.catch_warnings():
            # Roots are deprecated by the 2026-07-28 revision, but the clients people use still send them.
            warnings.simplefilter("ignore")
            with anyio.fail_after(5):
                listed = await ctx.session.send_request(ListRootsRequest(), _Roots)
    except Exception:
        _log.info("the client announced roots but did not list them; keeping the server's roots")
        return None
    return base.narrowed([root.uri for root in listed.roots])
