"""Old name of `mcp_tools.tool_context`, kept only until mcp_tools/m2task.py imports the new one."""

from __future__ import annotations

from mcp_tools.tool_context import SECRET_VARIABLES, ToolContext, child_environment

__all__ = ["SECRET_VARIABLES", "ToolContext", "child_environment"]
