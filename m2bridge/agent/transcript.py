"""The older turns as one plain-text transcript, for the compaction summary request.

The summary request does not replay history as protocol blocks. On the Anthropic protocol a request
whose messages carry `tool_use`/`tool_result` blocks must also define tools (Anthropic's API answers
400 otherwise), and defining them invites M2 to call a tool instead of summarising. A transcript is
valid on every server of either protocol and can be trimmed to fit. Byte-exact replay matters for
the main requests, where M2 continues its own interleaved thinking; the summary request only asks M2
to read what happened, and its answer replaces those turns, so the thinking goes in as plain text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from m2bridge.messages import AssistantTurn, CompactionTurn, ContextTurn, ToolResultsTurn, Turn, UserTurn

__all__ = ["transcript"]

# One tool output or thinking passage longer than this is cut in the middle: a summary needs the gist.
_PIECE_LIMIT = 6_000


def _cut(text: str, limit: int = _PIECE_LIMIT) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[… {len(text) - 2 * half} characters left out …]\n{text[-half:]}"


def _entry(turn: Turn) -> str:
    if isinstance(turn, CompactionTurn):
        return f"[summary of the turns before these]\n{turn.summary}"
    if isinstance(turn, UserTurn):
        return f"[user]\n{turn.text}"
    if isinstance(turn, ContextTurn):
        return f"[context from {turn.source}]\n{_cut(turn.text)}"
    if isinstance(turn, ToolResultsTurn):
        return "\n".join(
            f"[tool result {r.name} {r.tool_call_id}{' (error)' if r.is_error else ''}]\n{_cut(r.content)}"
            for r in turn.results
        )
    assert isinstance(turn, AssistantTurn)
    parts: list[str] = []
    if turn.thinking:
        parts.append(f"[assistant thinking]\n{_cut(turn.thinking)}")
    if turn.text:
        parts.append(f"[assistant]\n{turn.text}")
    for call in turn.tool_calls:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
        parts.append(f"[assistant calls {call.name} {call.id}]\n{_cut(arguments)}")
    return "\n".join(parts)


def transcript(turns: Sequence[Turn], max_chars: int) -> tuple[str, int]:
    """(the turns as text within about `max_chars`, how many turns were left out from the start).

    When it does not all fit, the oldest turns go first; an earlier summary at the start is kept."""
    sent = [t for t in turns if not (isinstance(t, AssistantTurn) and t.incomplete)]
    head = [_entry(sent[0])] if sent and isinstance(sent[0], CompactionTurn) else []
    body = [_entry(t) for t in sent[len(head) :]]
    room = max_chars - sum(len(e) + 2 for e in head)
    kept: list[str] = []
    for entry in reversed(body):
        if room - len(entry) - 2 < 0:
            if not kept:  # the newest turn alone is too long: its gist, not nothing
                kept.append(_cut(entry, max(room, 1_000)))
            break
        kept.append(entry)
        room -= len(entry) + 2
    dropped = len(body) - len(kept)
    if dropped:
        head.append(f"[{dropped} older turns left out here: they did not fit the summary request]")
    return "\n\n".join([*head, *reversed(kept)]), dropped
