"""The MCP server and its tools (issue 3)."""
