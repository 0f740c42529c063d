"""A model request as the engine states it, before a wire protocol renders it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from m2bridge.messages import Turn
from m2bridge.tools import ToolSpec

__all__ = ["SUMMARY_TAG", "ModelRequest", "context_text", "summary_text"]

# The compaction summary is sent as a user message that starts with this tag.
SUMMARY_TAG = "conversation-summary"


@dataclass(frozen=True)
class ModelRequest:
    system: str
    turns: Sequence[Turn]
    tools: Sequence[ToolSpec] = ()
    max_tokens: int = 16_384
    temperature: float = 1.0
    top_p: float = 0.95


def summary_text(summary: str) -> str:
    return f"<{SUMMARY_TAG}>\n{summary}\n</{SUMMARY_TAG}>"


def context_text(source: str, text: str) -> str:
    return f'<context source="{source}">\n{text}\n</context>'
