"""Fixtures for the whole suite: the strict fake MiniMax API, and a sandbox for the tools."""

from tests.fakes.minimax.fixture import fake_minimax
from tests.support.sandbox import sandbox, tool_ctx, toolset

__all__ = ["fake_minimax", "sandbox", "tool_ctx", "toolset"]
