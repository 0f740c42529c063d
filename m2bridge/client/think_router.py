"""Streaming text accumulation and `<think>` routing for the OpenAI-compatible protocol.

Chunks may carry only the new text or the whole text so far (MiniMax's own example treats them
as cumulative); `Accumulator` accepts both. `ThinkRouter` sends streamed content to the thinking or
answer display as the tags go by, holding back a possible half tag, and hides native tool-call markup.
"""

from __future__ import annotations

from m2bridge.client.events import StreamEvent, TextDelta, ThinkingDelta

__all__ = ["Accumulator", "ThinkRouter"]

_OPEN, _CLOSE, _TOOLS = "<think>", "</think>", "<minimax:tool_call>"


class Accumulator:
    """The full text of one streamed field; `feed` returns the part that is new."""

    def __init__(self) -> None:
        # Parts joined on demand: repeated concatenation of a long text is quadratic.
        self._parts: list[str] = []
        self._cumulative: bool | None = None

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def feed(self, piece: str) -> str:
        if not piece:
            return ""
        if self._cumulative is None and self._parts:
            current = self.text
            self._cumulative = len(piece) > len(current) and piece.startswith(current)
        if self._cumulative:
            current = self.text
            if piece.startswith(current):
                self._parts = [piece]
                return piece[len(current) :]
        self._parts.append(piece)
        return piece


def _held_back(text: str, tag: str) -> int:
    """How many trailing characters of `text` could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkRouter:
    def __init__(self, *, expect_thinking: bool) -> None:
        self._state = "start" if expect_thinking else "answer"
        self._pending = ""
        self._trim_answer_start = False

    def reasoning_seen(self) -> None:
        """Thinking arrives in its own field, so content is all answer."""
        if self._state == "start":
            self._state = "answer"

    def flush(self) -> list[StreamEvent]:
        """At the end of the stream, show what was held back as a possible half tag."""
        text, self._pending = self._pending, ""
        if not text or self._state == "tools":
            return []
        if self._state in ("think", "think_open"):
            return [ThinkingDelta(text)]
        return [TextDelta(text.lstrip() if self._trim_answer_start else text)]

    def feed(self, new: str) -> list[StreamEvent]:
        self._pending += new
        events: list[StreamEvent] = []
        while True:
            before = (self._state, len(self._pending))
            events += self._step()
            if (self._state, len(self._pending)) == before:
                return events

    def _step(self) -> list[StreamEvent]:
        text = self._pending
        if self._state == "start":
            stripped = text.lstrip()
            if stripped.startswith(_OPEN):
                self._state, self._pending = "think_open", stripped[len(_OPEN) :]
            elif stripped and not _OPEN.startswith(stripped):
                # M2's prompt opens <think> itself, so untagged content is thinking until </think>.
                self._state = "think"
            return []
        if self._state == "think_open":
            # The newline right after <think> belongs to the tag; it may arrive in the next chunk.
            if text:
                self._state, self._pending = "think", text.removeprefix("\n")
            return []
        if self._state == "think":
            end = text.find(_CLOSE)
            if end >= 0:
                self._state, self._pending, self._trim_answer_start = (
                    "answer",
                    text[end + len(_CLOSE) :],
                    True,
                )
                return [ThinkingDelta(text[:end])] if text[:end] else []
            keep = _held_back(text, _CLOSE)
            out, self._pending = text[: len(text) - keep], text[len(text) - keep :]
            return [ThinkingDelta(out)] if out else []
        if self._state == "answer":
            if self._trim_answer_start:
                text = text.lstrip()
                self._pending = text
                if not text:
                    return []
                self._trim_answer_start = False
            start = text.find(_TOOLS)
            if start >= 0:
                self._state, self._pending = "tools", ""
                return [TextDelta(text[:start])] if text[:start] else []
            keep = _held_back(text, _TOOLS)
            out, self._pending = text[: len(text) - keep], text[len(text) - keep :]
            return [TextDelta(out)] if out else []
        self._pending = ""  # inside tool-call markup: parsed at the end, not displayed
        return []
