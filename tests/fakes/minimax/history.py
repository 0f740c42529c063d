"""Turning a request's messages, of either protocol, into a neutral list of history entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUMMARY_OPENING = "<conversation-summary>"


@dataclass(frozen=True)
class Said:
    """An assistant message, to be matched against what the fake emitted."""

    index: int
    message: dict[str, Any]


@dataclass(frozen=True)
class Answered:
    """Tool results (one Anthropic user message, or a run of OpenAI tool messages)."""

    index: int
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Asked:
    """A user message; `summary` marks compaction, after which older turns may be dropped."""

    index: int
    summary: bool


Entry = Said | Answered | Asked


def _text_parts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
    return []


def _is_summary(content: Any) -> bool:
    return any(text.startswith(SUMMARY_OPENING) for text in _text_parts(content))


def anthropic_entries(messages: list[dict[str, Any]]) -> list[Entry]:
    entries: list[Entry] = []
    for i, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") == "assistant":
            entries.append(Said(i, message))
            continue
        blocks = content if isinstance(content, list) else []
        ids = tuple(b.get("tool_use_id", "") for b in blocks if b.get("type") == "tool_result")
        if ids:
            entries.append(Answered(i, ids))
        texts = [b for b in blocks if b.get("type") != "tool_result"]
        if isinstance(content, str) or texts:
            entries.append(Asked(i, _is_summary(content)))
    return entries


def openai_entries(messages: list[dict[str, Any]]) -> list[Entry]:
    entries: list[Entry] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "assistant":
            entries.append(Said(i, message))
        elif role == "tool":
            tool_id = str(message.get("tool_call_id", ""))
            previous = entries[-1] if entries else None
            if isinstance(previous, Answered):
                entries[-1] = Answered(previous.index, (*previous.ids, tool_id))
            else:
                entries.append(Answered(i, (tool_id,)))
        elif role == "user":
            entries.append(Asked(i, _is_summary(message.get("content"))))
    return entries
