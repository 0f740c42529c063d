"""A bare MCP SDK server with one `echo` tool, over stdio: the floor the benchmarks compare with.

    python bench/echo_server.py

It does only what the SDK does (plain text result, no structured output, warnings-only logging, as
m2bridge's server is set up), so a server built on the SDK cannot be faster than this one.
"""

from __future__ import annotations

from mcp.server import MCPServer

server = MCPServer("echo", log_level="WARNING")


@server.tool(structured_output=False)
def echo(text: str, repeat: int = 1) -> str:
    """Return the text, `repeat` times over (to size the answer like another server's)."""
    return text * repeat


if __name__ == "__main__":
    server.run()
