"""What a surface sees while a model turn streams in."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StreamEvent", "TextDelta", "ThinkingDelta", "ToolCallStarted", "UsageUpdate"]


@dataclass(frozen=True)
class ThinkingDelta:
    text: str


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallStarted:
    name: str


@dataclass(frozen=True)
class UsageUpdate:
    input_tokens: int
    output_tokens: int


StreamEvent = ThinkingDelta | TextDelta | ToolCallStarted | UsageUpdate
