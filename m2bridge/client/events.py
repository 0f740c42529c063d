"""What a surface sees while a model turn streams in."""

from __future__ import annotations

from dataclasses import dataclass

from m2bridge.errors import ModelError

__all__ = [
    "RetryScheduled",
    "StreamEvent",
    "TextDelta",
    "ThinkingDelta",
    "ToolCallStarted",
    "UsageUpdate",
    "coalesced",
]


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


def coalesced(events: list[StreamEvent]) -> list[StreamEvent]:
    """One batch's events with each run of text (or thinking) deltas joined into one delta: a surface
    draws one piece per network read, and the text it shows is the same."""
    if len(events) < 2:
        return events
    out: list[StreamEvent] = []
    run: list[str] = []  # the texts of the delta run that ends `out`
    for event in events:
        if isinstance(event, (TextDelta, ThinkingDelta)):
            if run and type(out[-1]) is type(event):
                run.append(event.text)
                continue
            _join_run(out, run)
            run = [event.text]
        else:
            _join_run(out, run)
            run = []
        out.append(event)
    _join_run(out, run)
    return out


def _join_run(out: list[StreamEvent], run: list[str]) -> None:
    if len(run) > 1:
        text = "".join(run)
        out[-1] = TextDelta(text) if isinstance(out[-1], TextDelta) else ThinkingDelta(text)


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
