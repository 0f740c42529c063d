"""What a surface sees while a model turn streams in."""

from __future__ import annotations

from dataclasses import dataclass

from m2bridge.errors import ModelError

__all__ = ["RetryScheduled", "StreamEvent", "TextDelta", "ThinkingDelta", "ToolCallStarted", "UsageUpdate"]


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


@dataclass(frozen=True)
class RetryScheduled:
    """An attempt failed before anything reached the caller; the client sends it again after `delay` s.

    Not a stream event: it reaches the client's `on_retry` hook, so a surface can say what the wait is
    for ("429, retrying in 2 s") instead of going quiet.
    """

    error: ModelError
    delay: float
    retry: int  # which retry this is, from 1
    limit: int  # the most retries the settings allow
