"""Events the agent loop gives whichever surface is listening (terminal, editor, MCP progress)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from m2bridge.client.events import TextDelta, ThinkingDelta

__all__ = ["AgentEvent", "Notice", "TextDelta", "ThinkingDelta", "ToolEnd", "ToolStart", "UsageReport"]


@dataclass(frozen=True)
class ToolStart:
    call_id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ToolEnd:
    call_id: str
    name: str
    ok: bool
    summary: str


@dataclass(frozen=True)
class UsageReport:
    input_tokens: int
    output_tokens: int
    context_tokens: int


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not the model's words (compaction, a retry, a switch)."""

    text: str


AgentEvent = ThinkingDelta | TextDelta | ToolStart | ToolEnd | UsageReport | Notice
