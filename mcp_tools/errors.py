"""Old name of `mcp_tools.failure`, kept only until mcp_tools/m2task.py and lsp/editor_workspace.py import
the new one."""

from __future__ import annotations

from mcp_tools.failure import ToolFailure

__all__ = ["ToolFailure"]
