"""Fixtures for the whole suite: the strict fakes of MiniMax's chat and media APIs, and a tool sandbox."""

from tests.fakes.media.fixture import fake_media
from tests.fakes.minimax.fixture import fake_minimax
from tests.support.sandbox import sandbox, tool_ctx, toolset

__all__ = ["fake_media", "fake_minimax", "sandbox", "tool_ctx", "toolset"]
