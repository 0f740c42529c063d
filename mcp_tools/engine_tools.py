"""The tools `m2bridge chat` gives M2: this package's repo and terminal tools on the workspace, plus the
outside MCP servers from config. The engine loads this module lazily, by name, so it never imports MCP."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.config import Settings
from m2bridge.tools import Tool
from mcp_tools.disk import DiskWorkspace
from mcp_tools.toolkit import ToolOptions, WorkspaceFactory, open_toolset, sandbox_policy

if TYPE_CHECKING:
    from mcp_tools.terminal.editor_port import CommandTerminal

__all__ = ["open_engine_tools"]


@asynccontextmanager
async def open_engine_tools(
    settings: Settings,
    workspace: Path,
    warn: Callable[[str], None],
    *,
    roots: Sequence[Path] = (),
    files: WorkspaceFactory = DiskWorkspace,
    terminal: CommandTerminal | None = None,
    read_only: bool = False,
    no_terminal: bool = False,
) -> AsyncGenerator[list[Tool]]:
    """`roots` default to the workspace; `files` is how tools see files (the editor brings its buffers);
    `terminal` is the editor's terminal, where run_command then runs its commands."""
    secrets = tuple(s for s in (settings.api_key,) if s)
    options = ToolOptions(
        roots=list(roots) or [workspace],
        home=settings.home,
        read_only=read_only,
        no_terminal=no_terminal,
        secrets=secrets,
        sandbox=sandbox_policy(settings),
    )
    toolset = open_toolset(options, workspace=files, terminal=terminal)
    try:
        if not settings.mcp_servers:
            yield toolset.tools
            return
        # Imported only when configured: the MCP client costs a second of start-up.
        from mcp_tools.outside import outside_tools

        async with outside_tools(settings.mcp_servers, os.environ, warn) as extra:
            yield [*toolset.tools, *extra]
    finally:
        await toolset.aclose()
