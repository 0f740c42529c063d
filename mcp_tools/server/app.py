"""The MCP server: the engine's tools behind the SDK's low-level `Server`, with their own schemas.

Each tool keeps one implementation (`m2bridge.tools.Tool`); this module only answers `tools/list` and
`tools/call` for it. A call goes straight to the tool, which validates its arguments once with messages
that say what to fix: no per-tool model is built for the SDK, at start-up or per call. Progress goes out
as MCP progress notifications, and the roots a client announces narrow the path policy for its calls
(`mcp_tools.server.roots`). It serves tools only: prompts and resources are neither declared nor answered
(-32601), and a client's mistakes stay out of the log (`mcp_tools.server.server_log`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any, cast

from mcp.server import Server, ServerRequestContext
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.shared.exceptions import MCPError
from mcp_types import (
    AudioContent,
    CallToolRequestParams,
    CallToolResult,
    ContentBlock,
    ImageContent,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    ToolAnnotations,
)
from mcp_types import Tool as McpTool

from m2bridge import __version__
from m2bridge.tools import Tool, ToolOutcome, progress_reporter
from mcp_tools.server.roots import client_policy
from mcp_tools.server.server_log import configure_logging
from mcp_tools.tool_context import ToolContext

__all__ = ["build_server"]

_log = logging.getLogger("m2bridge.mcp")

_NAME = "m2bridge"

_INSTRUCTIONS = (
    "Repo, terminal and M2 tools bounded by the server's roots. Paths are relative to the first root or "
    "absolute inside one. Long outputs are cut to head and tail; the whole is saved to a file that "
    "read_file can page through. m2_task hands a whole task to a MiniMax-M2 agent. The media tools "
    "(text_to_image, generate_video, text_to_audio, music_generation, voices) call MiniMax's media API "
    "and save files under the data folder or output_directory."
)


def build_server(tools: Sequence[Tool], context: ToolContext, note: str = "") -> Server[Any]:
    """`note` joins the instructions: what the client's model must know of this server's tool set (why
    the process tools are absent)."""
    configure_logging()
    served = _ServedTools(tools, context)
    server: Server[Any] = Server(
        _NAME,
        version=__version__,
        instructions=f"{_INSTRUCTIONS} {note}" if note else _INSTRUCTIONS,
        get_tool_input_schema=served.input_schema,
        on_list_tools=served.list_tools,
        on_call_tool=served.call_tool,
    )
    # What MCPServer installs by default: a requestState this server never sealed is refused (-32602).
    server.middleware.append(RequestStateBoundary(RequestStateSecurity.ephemeral(), default_audience=_NAME))
    return server


class _ServedTools:
    """The tools by name; their MCP records are built at the first `tools/list`, then kept."""

    def __init__(self, tools: Sequence[Tool], context: ToolContext) -> None:
        self._tools = {tool.spec.name: tool for tool in tools}
        self._context = context
        self._listed: ListToolsResult | None = None

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        tool = self._tools.get(name)
        return None if tool is None else tool.spec.input_schema

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        if self._listed is None:
            self._listed = ListToolsResult(tools=[_record(tool) for tool in self._tools.values()])
        return self._listed

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        tool = self._tools.get(params.name)
        if tool is None:
            return _error(f"Unknown tool: {params.name}")
        session = ctx.session

        async def forward(done: float, total: float | None, message: str | None) -> None:
            try:
                await session.report_progress(done, total, message)
            except Exception:  # a client that went away must not fail the tool
                _log.debug("progress notification not delivered", exc_info=True)

        arguments = _client_arguments(tool, params.arguments or {})
        narrowed = await client_policy(session, self._context.base_policy)
        token = progress_reporter.set(forward)
        try:
            with self._context.narrowed_to(narrowed) if narrowed is not None else nullcontext():
                outcome = await tool.call(arguments)
        except MCPError:
            raise
        except Exception:
            # A crash: the traceback stays in the server's log, the client learns only which tool failed.
            _log.exception("Tool %r raised an unexpected exception", params.name)
            return _error(f"Error executing tool {params.name}")
        finally:
            progress_reporter.reset(token)
        return _as_result(outcome)


def _record(tool: Tool) -> McpTool:
    spec = tool.spec
    return McpTool(
        name=spec.name,
        description=spec.description,
        input_schema=dict(spec.input_schema),
        annotations=ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=spec.open_world,
        ),
    )


def _client_arguments(tool: Tool, given: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as the tool should see them, after two habits of MCP clients.

    A null stands for a left-out argument, so the tool's own default applies. And some clients (Claude
    Desktop) send a list or object argument as a JSON string: where the schema says array or object, such
    a string is read as the JSON it holds. Any other string (a file's JSON text for `content`) is kept.
    """
    properties: Mapping[str, Any] = tool.spec.input_schema.get("properties", {})
    arguments: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, str) and value[:1] in ("[", "{") and _structured(properties.get(name)):
            # Not JSON after all: the string stays, and the tool's validation says what is wrong.
            with contextlib.suppress(ValueError, RecursionError):
                value = json.loads(value)
        arguments[name] = value
    return arguments


def _structured(schema: object) -> bool:
    """Whether a property's schema takes only an array or an object (not also a string)."""
    if not isinstance(schema, Mapping):
        return False
    prop = cast("Mapping[str, object]", schema)
    options: list[object] = [prop]
    any_of = prop.get("anyOf")
    if isinstance(any_of, list):
        options += cast("list[object]", any_of)
    kinds = {
        kind
        for option in options
        if isinstance(option, Mapping)
        and isinstance(kind := cast("Mapping[str, object]", option).get("type"), str)
    }
    return kinds <= {"array", "object", "null"} and bool(kinds & {"array", "object"})


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _as_result(outcome: ToolOutcome) -> CallToolResult:
    """The outcome as MCP content: its text, then any image or audio inline for clients that show it."""
    content: list[ContentBlock] = [TextContent(type="text", text=outcome.content)]
    for blob in outcome.media:
        data = base64.b64encode(blob.data).decode("ascii")
        if blob.kind == "image":
            content.append(ImageContent(type="image", data=data, mime_type=blob.mime_type))
        else:
            content.append(AudioContent(type="audio", data=data, mime_type=blob.mime_type))
    return CallToolResult(content=content, is_error=outcome.is_error)
