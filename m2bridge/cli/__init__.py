"""The `m2bridge` command. Surfaces (mcp, lsp) are imported only when their command runs."""
