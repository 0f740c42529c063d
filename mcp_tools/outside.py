"""Outside MCP servers from config (`mcpServers`, Claude Desktop's shape), their tools joined to M2's.

Each server is a stdio command (`command`, `args`, `env`, `cwd`) or a URL (`url`, `headers`), with
optional `timeout` (seconds to connect, default 30) and `call_timeout` (per call, default 120). Tools are
named `<server>__<tool>`. A tool the server does not mark read-only is treated as destructive, so M2 asks
before using it. A server that fails to start is reported and skipped, with the setting to fix (a refused
token names the Authorization header under `[mcpServers.<name>]` and the config file); the others still load.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from m2bridge.config import user_config_path
from m2bridge.json_values import is_list, is_mapping
from m2bridge.tools import Tool, ToolOutcome, ToolSpec
from mcp_tools.outside_failures import HttpTrace, explain
from mcp_tools.tool_context import child_environment

if TYPE_CHECKING:
    from mcp_types import Tool as RemoteTool

__all__ = ["OutsideTool", "outside_tools"]

_NAME = re.compile(r"[^A-Za-z0-9_-]")


class OutsideTool:
    def __init__(self, server: str, info: RemoteTool, client: Client, call_timeout: float) -> None:
        self._client = client
        self._remote_name = info.name
        self._timeout = call_timeout
        annotations = info.annotations
        read_only = bool(annotations and annotations.read_only_hint)
        self._spec = ToolSpec(
            name=_NAME.sub("_", f"{server}__{info.name}")[:64],
            description=f"[{server}] {info.description or info.name}",
            input_schema=info.input_schema or {"type": "object", "properties": {}},
            destructive=not read_only,
            read_only=read_only,
            idempotent=bool(annotations and annotations.idempotent_hint),
        )

    @property
    def spec(self) -> ToolSpec:
        return self._spec

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        try:
            with anyio.fail_after(self._timeout):
                result = await self._client.call_tool(self._remote_name, dict(arguments))
        except TimeoutError:
            return ToolOutcome(f"{self.spec.name}: no answer within {self._timeout:.0f} s", is_error=True)
        except Exception as err:
            return ToolOutcome(f"{self.spec.name}: the server failed: {err}", is_error=True)
        parts: list[str] = []
        for item in result.content:
            text = getattr(item, "text", None)
            parts.append(text if text is not None else f"[{item.type} content]")
        return ToolOutcome("\n".join(parts), is_error=bool(result.is_error))


@dataclass
class _Connection:
    name: str
    ready: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    tools: list[Tool] = field(default_factory=list[Tool])
    error: str | None = None


@asynccontextmanager
async def outside_tools(
    servers: Mapping[str, object], env: Mapping[str, str], warn: Callable[[str], None]
) -> AsyncGenerator[list[Tool]]:
    """Connect to every configured server; yield their tools; disconnect on exit."""
    stop = anyio.Event()
    tools: list[Tool] = []
    async with anyio.create_task_group() as group:
        # Each client lives in its own task, so its task group and cancel scope nest cleanly.
        for name, entry in servers.items():
            connection = _Connection(str(name))
            group.start_soon(_hold, connection, entry, env, stop)
            with anyio.move_on_after(_timeout(entry, "timeout", 30)):
                await connection.ready.wait()
            if not connection.ready.is_set():
                connection.scope.cancel()
                warn(f"outside MCP server {name!r} was not loaded: {_where(entry)}did not answer in time")
            elif connection.error is not None:
                warn(f"outside MCP server {name!r} was not loaded: {connection.error}")
            tools += connection.tools
        try:
            yield tools
        finally:
            stop.set()


def _timeout(entry: object, key: str, default: float) -> float:
    value = entry.get(key, default) if is_mapping(entry) else default
    # A number, or a string float() reads; anything else (a table, a date) means the default.
    if not isinstance(value, (int, float, str)):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def _where(entry: object) -> str:
    return f"{entry['url']} " if is_mapping(entry) and "url" in entry else ""


def _strings(entry: Mapping[object, object], key: str) -> dict[str, str]:
    """A table of strings (`env`, `headers`): keys and values as text."""
    value = entry.get(key, {})
    if not is_mapping(value):
        raise ValueError(f"`{key}` must be a table of names to values")
    return {str(k): str(v) for k, v in value.items()}


async def _hold(connection: _Connection, entry: object, env: Mapping[str, str], stop: anyio.Event) -> None:
    trace = HttpTrace()
    with connection.scope:
        try:
            async with AsyncExitStack() as stack:
                client = await _client(stack, entry, env, trace)
                connected = await stack.enter_async_context(client)
                listed = await connected.list_tools()
                call_timeout = _timeout(entry, "call_timeout", 120)
                connection.tools = [
                    OutsideTool(connection.name, t, connected, call_timeout) for t in listed.tools
                ]
                connection.ready.set()
                await stop.wait()
        except Exception as err:
            config = user_config_path(env)
            table: Mapping[object, object] = entry if is_mapping(entry) else {}
            connection.error = explain(connection.name, table, err, trace if "url" in table else None, config)
            connection.ready.set()


async def _client(stack: AsyncExitStack, entry: object, env: Mapping[str, str], trace: HttpTrace) -> Client:
    if not is_mapping(entry):
        raise ValueError("its entry must be a table with `command` or `url`")
    if "command" in entry:
        extra = _strings(entry, "env")
        args = entry.get("args", [])
        if not is_list(args):
            raise ValueError("`args` must be a list of strings")
        cwd = entry.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ValueError("`cwd` must be a folder path")
        params = StdioServerParameters(
            command=str(entry["command"]),
            args=[str(a) for a in args],
            env={**child_environment(env), **extra},
            cwd=cwd,
        )
        return Client(params)
    if "url" in entry:
        url = str(entry["url"])
        if not url.startswith(("http://", "https://")):
            raise ValueError("`url` must be http(s)")
        headers = _strings(entry, "headers")
        # The response hook sees the HTTP status the MCP client reduces to "Server returned an error".
        hooks = {"response": [trace.on_response]}
        http = await stack.enter_async_context(httpx2.AsyncClient(headers=headers, event_hooks=hooks))
        return Client(streamable_http_client(url, http_client=http))
    raise ValueError("its entry needs `command` (stdio) or `url` (HTTP)")
