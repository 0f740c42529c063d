"""A session's turns for display, one shape for every surface (`sessions show --json`, the editor)."""

from __future__ import annotations

from typing import Any

from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    ContextTurn,
    TextBlock,
    ThinkingBlock,
    ToolResultsTurn,
    UserTurn,
)
from m2bridge.sessions.store import LoadedSession, SessionInfo

__all__ = ["display_turns", "info_json"]


def info_json(info: SessionInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "title": info.title,
        "workspace": info.workspace,
        "protocol": info.protocol,
        "model": info.model,
        "created": info.created,
        "updated": info.updated,
        "turns": info.turns,
        "context_tokens": info.context_tokens,
    }


def display_turns(loaded: LoadedSession) -> list[dict[str, Any]]:
    """Turns for display: thinking marked, the compaction boundary and incomplete turns flagged."""
    boundary = max(
        (s.turn.replaces_before for s in loaded.turns if isinstance(s.turn, CompactionTurn)), default=None
    )
    out: list[dict[str, Any]] = []
    for stored in loaded.turns:
        turn = stored.turn
        item: dict[str, Any] = {"index": stored.index, "created": stored.created, "kind": turn.kind}
        if boundary is not None and stored.index < boundary:
            item["summarised"] = True
        if isinstance(turn, UserTurn):
            item["text"] = turn.text
        elif isinstance(turn, ContextTurn):
            item.update(source=turn.source, text=turn.text)
        elif isinstance(turn, AssistantTurn):
            item["blocks"] = [
                {"type": "thinking", "text": b.text}
                if isinstance(b, ThinkingBlock)
                else {"type": "text", "text": b.text}
                if isinstance(b, TextBlock)
                else {"type": "tool_call", "id": b.id, "name": b.name, "arguments": b.arguments}
                for b in turn.blocks
            ]
            item.update(incomplete=turn.incomplete, stop_reason=turn.stop_reason, protocol=turn.protocol)
        elif isinstance(turn, ToolResultsTurn):
            item["results"] = [r.model_dump() for r in turn.results]
        else:
            item.update(summary=turn.summary, replaces_before=turn.replaces_before)
        out.append(item)
    return out
