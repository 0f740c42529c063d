"""A small outside MCP server for tests, over stdio: `lookup` is read-only, `remember` is not."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp_types import ToolAnnotations

server = MCPServer("notes", log_level="WARNING")


@server.tool(structured_output=False, annotations=ToolAnnotations(read_only_hint=True))
def lookup(word: str) -> str:
    """Look a word up."""
    return f"definition of {word}: a thing"


@server.tool(structured_output=False)
def remember(text: str) -> str:
    """Store a note."""
    return f"remembered {text}"


if __name__ == "__main__":
    server.run()
