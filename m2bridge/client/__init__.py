"""The model client: wire protocols, streaming assembly and M2's native markup."""
