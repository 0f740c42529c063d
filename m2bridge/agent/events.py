"""Events the agent loop gives whichever surface is listening (terminal, editor, MCP progress)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# The model's own deltas are part of the union; they are defined (and imported from) m2bridge.client.events.
from m2bridge.client.events import TextDelta, ThinkingDelta

__all__ = [
    "AgentEvent",
    "Compaction",
    "Notice",
    "ToolEnd",
    "ToolStart",
    "UsageReport",
]


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
    content: str = ""  # the whole result as M2 gets it (within the tools' output budget)


@dataclass(frozen=True)
class UsageReport:
    input_tokens: int
    output_tokens: int
    context_tokens: int


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not the model's words (compaction, a retry, a switch)."""

    text: str


@dataclass(frozen=True)
class Compaction(Notice):
    """A compaction attempt, made or failed. A Notice, so every surface that shows notices shows it;
    the figures are for surfaces that report it as data (`chat --json`'s `compactions`).

    `trigger` is "threshold" (the estimate passed compact_at of context_window), "overflow" (the
    server refused the request as too long, MiniMax error 2013 or an HTTP 400/413 saying so) or
    "request" (the user asked, e.g. ACP's /compact).
    `after_tokens` is the estimate the next request carries; on failure it equals `before_tokens`."""

    trigger: Literal["threshold", "overflow", "request"]
    before_tokens: int
    after_tokens: int
    ok: bool
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "before_tokens": self.before_tokens,
            "after_tokens": self.after_tokens,
            "ok": self.ok,
            "reason": self.reason,
        }


AgentEvent = ThinkingDelta | TextDelta | ToolStart | ToolEnd | UsageReport | Notice
