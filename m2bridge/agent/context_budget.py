"""The context budget: which stored turns a request carries, and when to compact.

Stored history is never changed. A compaction is a new stored turn whose summary stands in for
every turn before its boundary; the turns after it are sent verbatim, thinking included (M2's
interleaved thinking is its working memory and must come back in its original form).

`CompactionTurn.replaces_before` is a stored turn *index*, the store's numbering. A loaded session may
skip indexes (a record that could not be read is left out of the list), so every function here that
meets a boundary takes the turns' stored indexes alongside the turns (`indexes`, one per turn; when
left out, list positions are the indexes).

Each of them needs the list position of the latest compaction; found by a scan from the end, that is
a walk over the whole history each step for a session never compacted. A caller that keeps track of
it (the agent adds turns one append at a time) passes it as `latest` and nothing is scanned.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Final, Literal

from m2bridge.messages import AssistantTurn, CompactionTurn, ToolResultsTurn, Turn, TurnAdapter

__all__ = [
    "CHARS_PER_TOKEN",
    "choose_boundary",
    "context_estimate",
    "estimate_tokens",
    "latest_compaction",
    "older_than",
    "position_of",
    "window",
]

CHARS_PER_TOKEN = 3.5

# `latest` when the caller does not know it: find it by scanning the turns.
SCAN: Final = "scan"
Latest = int | None | Literal["scan"]


def estimate_tokens(turn: Turn) -> int:
    if isinstance(turn, AssistantTurn) and turn.usage.output_tokens:
        return turn.usage.output_tokens
    return int(len(TurnAdapter.dump_json(turn)) / CHARS_PER_TOKEN) + 4


def _indexes(turns: Sequence[Turn], indexes: Sequence[int] | None) -> Sequence[int]:
    if indexes is None:
        return range(len(turns))
    if len(indexes) != len(turns):
        raise ValueError(f"{len(indexes)} indexes for {len(turns)} turns")
    return indexes


def position_of(index: int, turns: Sequence[Turn], indexes: Sequence[int] | None = None) -> int:
    """The list position of the first turn whose stored index is `index` or later."""
    return bisect_left(_indexes(turns, indexes), index)


def latest_compaction(turns: Sequence[Turn], latest: Latest = SCAN) -> int | None:
    """The list position of the latest compaction turn, None if there is none (`latest` if known)."""
    if not isinstance(latest, str):  # known: an int, or None for "no compaction"
        return latest
    for position in range(len(turns) - 1, -1, -1):
        if isinstance(turns[position], CompactionTurn):
            return position
    return None


def window(
    turns: Sequence[Turn], indexes: Sequence[int] | None = None, *, latest: Latest = SCAN
) -> tuple[int, list[Turn]]:
    """(stored index of the first verbatim turn, the turns to send) behind the latest compaction."""
    latest = latest_compaction(turns, latest)
    if latest is None:
        return (_indexes(turns, indexes)[0] if turns else 0), list(turns)
    summary = turns[latest]
    assert isinstance(summary, CompactionTurn)
    first = position_of(summary.replaces_before, turns, indexes)
    rest = [t for t in turns[first:] if not isinstance(t, CompactionTurn)]
    return summary.replaces_before, [summary, *rest]


def context_estimate(
    turns: Sequence[Turn],
    system_chars: int = 0,
    indexes: Sequence[int] | None = None,
    *,
    latest: Latest = SCAN,
) -> int:
    """Tokens the next request will carry: the last exact usage figure plus estimates after it.

    Only a turn answered after the latest compaction has a usage figure that measures the compacted
    request; the verbatim turns kept from before it were measured with the older turns still in."""
    latest = latest_compaction(turns, latest)
    measured_from = 0 if latest is None else latest + 1
    for position in range(len(turns) - 1, measured_from - 1, -1):
        turn = turns[position]
        if isinstance(turn, AssistantTurn) and not turn.incomplete and turn.usage.input_tokens:
            after = [t for t in turns[position + 1 :] if not isinstance(t, CompactionTurn)]
            exact = turn.usage.input_tokens + turn.usage.output_tokens
            return exact + sum(estimate_tokens(t) for t in after)
    _, sent = window(turns, indexes, latest=latest)
    return int(system_chars / CHARS_PER_TOKEN) + sum(estimate_tokens(t) for t in sent)


def choose_boundary(
    turns: Sequence[Turn],
    keep_tokens: int,
    min_keep: int = 2,
    indexes: Sequence[int] | None = None,
    *,
    latest: Latest = SCAN,
) -> int | None:
    """The stored index where verbatim history should start: recent turns worth about `keep_tokens`,
    never splitting a tool call from its result (the boundary is never a tool-results turn), and
    always past the current boundary. None if nothing can go."""
    numbers = _indexes(turns, indexes)
    start, _ = window(turns, indexes, latest=latest)
    start_position = position_of(start, turns, indexes)
    kept = 0
    candidate: int | None = None
    for position in range(len(turns) - 1, start_position, -1):
        turn = turns[position]
        if isinstance(turn, CompactionTurn):
            continue  # a summary is replaced by the next one, never kept verbatim
        kept += estimate_tokens(turn)
        if kept > keep_tokens and candidate is not None:
            break
        if len(turns) - position >= min_keep and not isinstance(turn, ToolResultsTurn):
            candidate = position
    return None if candidate is None else numbers[candidate]


def older_than(
    boundary: int, turns: Sequence[Turn], indexes: Sequence[int] | None = None, *, latest: Latest = SCAN
) -> list[Turn]:
    """What a compaction at `boundary` stands in for: the current summary (if any), then the verbatim
    turns before `boundary`. The latest summary is stored after its boundary, so a plain slice of the
    list up to `boundary` could miss it."""
    start, sent = window(turns, indexes, latest=latest)
    summary = sent[:1] if sent and isinstance(sent[0], CompactionTurn) else []
    begin, end = position_of(start, turns, indexes), position_of(boundary, turns, indexes)
    return [*summary, *(t for t in turns[begin:end] if not isinstance(t, CompactionTurn))]
