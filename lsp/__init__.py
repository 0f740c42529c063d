"""The language server surface (issue 5)."""
