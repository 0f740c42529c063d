"""The MCP server surface: the tools behind the SDK's server, on stdio or Streamable HTTP.

Nothing is imported here: `m2bridge mcp config` and `--help` must not pay for the SDK.
"""
