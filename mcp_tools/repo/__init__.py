"""Repo tools: files, listing, search and git, all bounded by the path policy."""
