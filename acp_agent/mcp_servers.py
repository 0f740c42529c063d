"""The editor's MCP servers from `session/new` as entries of the outside-servers table.

They join the servers from config with the same rules (`mcp_tools.outside`): tools named
`<server>__<tool>`, each not marked read-only asks before it runs, connect and call timeouts as
configured servers have. A name the config already uses gets the suffix `_editor`, so neither side's
tools shadow the other's. SSE and ACP-transport servers are not offered (not advertised in
`mcpCapabilities`); one sent anyway is skipped with a log line."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer

__all__ = ["McpServer", "editor_servers", "merged_servers"]

log = logging.getLogger("m2bridge.acp")

McpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio


def editor_servers(servers: Sequence[McpServer]) -> dict[str, Any]:
    """The editor's servers as config entries, by name (the later of two with one name wins)."""
    entries: dict[str, Any] = {}
    for server in servers:
        entry = _entry(server)
        if entry is None:
            log.warning(
                "the editor's MCP server %r uses a transport m2bridge does not offer: skipped", server.name
            )
        else:
            entries[server.name] = entry
    return entries


def merged_servers(configured: Mapping[str, Any], editors: Mapping[str, Any]) -> dict[str, Any]:
    """The configured servers plus the editor's, named apart."""
    merged = dict(configured)
    for name, entry in editors.items():
        merged[name if name not in merged else f"{name}_editor"] = entry
    return merged


def _entry(server: McpServer) -> dict[str, Any] | None:
    if isinstance(server, McpServerStdio):
        return {
            "command": server.command,
            "args": list(server.args),
            "env": {variable.name: variable.value for variable in server.env},
        }
    if isinstance(server, HttpMcpServer):
        return {"url": server.url, "headers": {header.name: header.value for header in server.headers}}
    return None
