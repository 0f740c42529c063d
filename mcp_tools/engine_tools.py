"""The tools `m2bridge chat` gives M2: this package's repo and terminal tools on the workspace, plus the
outside MCP servers from config. The engine loads this module lazily, by name, so it never imports MCP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from m2bridge.config import Settings
from m2bridge.tools import Tool
from mcp_tools.toolkit import ToolOptions, open_toolset

__all__ = ["open_engine_tools"]


@asynccontextmanager
async def open_engine_tools(
    settings: Settings, workspace: Path, warn: Callable[[str], None]
) -> AsyncIterator[list[Tool]]:
    secrets = tuple(s for s in (settings.api_key,) if s)
    toolset = open_toolset(ToolOptions(roots=[workspace], home=settings.home, secrets=secrets))
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
