"""Helpers shared by the test suite: isolated environments, real tools, CLI runners."""
