"""The official MCP conformance suite against m2bridge's HTTP transport, side by side with the reference
server; `python -m tests.conformance` prints the table, tests/e2e/test_mcp_conformance.py enforces it."""
