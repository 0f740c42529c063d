"""The context budget: which stored turns a request carries, and when to compact.

Stored history is never changed. A compaction is a new stored turn whose summary stands in for
every turn before its boundary; the turns after it are sent verbatim, thinking included.
"""

from __future__ import annotations

from collections.abc import Sequence

from m2bridge.messages import AssistantTurn, CompactionTurn, ToolResultsTurn, Turn, TurnAdapter

__all__ = ["choose_boundary", "context_estimate", "estimate_tokens", "window"]

_CHARS_PER_TOKEN = 3.5


def estimate_tokens(turn: Turn) -> int:
    if isinstance(turn, AssistantTurn) and turn.usage.output_tokens:
        return turn.usage.output_tokens
    return int(len(TurnAdapter.dump_json(turn)) / _CHARS_PER_TOKEN) + 4


def window(turns: Sequence[Turn]) -> tuple[int, list[Turn]]:
    """(index of the first verbatim turn, the turns to send) behind the latest compaction."""
    for position in range(len(turns) - 1, -1, -1):
        turn = turns[position]
        if isinstance(turn, CompactionTurn):
            rest = [t for t in turns[turn.replaces_before :] if not isinstance(t, CompactionTurn)]
            return turn.replaces_before, [turn, *rest]
    return 0, [t for t in turns if not isinstance(t, CompactionTurn)]


def context_estimate(turns: Sequence[Turn], system_chars: int = 0) -> int:
    """Tokens the next request will carry: the last exact usage figure plus estimates after it."""
    _, sent = window(turns)
    total = int(system_chars / _CHARS_PER_TOKEN)
    exact_at = -1
    for position in range(len(sent) - 1, -1, -1):
        turn = sent[position]
        if isinstance(turn, AssistantTurn) and not turn.incomplete and turn.usage.input_tokens:
            total = turn.usage.input_tokens + turn.usage.output_tokens
            exact_at = position
            break
    return total + sum(estimate_tokens(t) for t in sent[exact_at + 1 :])


def choose_boundary(turns: Sequence[Turn], keep_tokens: int, min_keep: int = 2) -> int | None:
    """Where verbatim history should start: recent turns worth about `keep_tokens`, never splitting a
    tool call from its result (the boundary is never a tool-results turn). None if nothing can go."""
    start, _ = window(turns)
    kept = 0
    candidate: int | None = None
    for position in range(len(turns) - 1, start, -1):
        kept += estimate_tokens(turns[position])
        if kept > keep_tokens and candidate is not None:
            break
        if len(turns) - position >= min_keep and not isinstance(
            turns[position], (ToolResultsTurn, CompactionTurn)
        ):
            candidate = position
    return candidate
