"""Where M2's thinking ends in OpenAI-protocol content: `<think>` routing, streamed and whole.

m2-facts.md: the chat template's generation prompt opens `<think>` itself, so a server without a
reasoning parser (vLLM or SGLang without `--reasoning-parser`, llama.cpp, MLX) hands back thinking
with no opening tag. Everything up to `</think>` is thinking; with no `</think>` at all (cut at
max_tokens, or a tool call made before the thinking was closed, `I will read it.\n<minimax:tool_call>`)
everything before the tool call is still thinking, as vLLM's minimax_m2 reasoning parser reads it,
and the call is a call. Servers that give thinking its own field (`reasoning_details`, `reasoning`,
`reasoning_content`) send content that is all answer. `ThinkRouter` makes that decision as chunks
arrive (tags may be split anywhere across chunks); `split_generated` makes the same decision on the
whole text, for the stored turn.
"""

from __future__ import annotations

from m2bridge.client.events import StreamEvent, TextDelta, ThinkingDelta
from m2bridge.client.native_tools import split_thinking

__all__ = ["ThinkRouter", "split_generated"]

_OPEN, _CLOSE, _TOOLS = "<think>", "</think>", "<minimax:tool_call>"


def split_generated(content: str) -> tuple[str | None, str]:
    """(thinking, answer) of content generated after a prompt that opened `<think>`.

    Thinking is None when there is none. A tool-call wrapper before any `</think>` ends the thinking
    (the newline before the wrapper is the template's, not the thought's) and stays in the answer, to
    be parsed as calls. With neither tag, the whole content is thinking.
    """
    start = len(content) - len(content.lstrip())
    if content.startswith(_OPEN, start):
        return split_thinking(content)
    close, tools = content.find(_CLOSE), content.find(_TOOLS)
    if tools >= 0 and (close < 0 or tools < close):
        return content[:tools].removesuffix("\n") or None, content[tools:]
    if close >= 0:
        return split_thinking(content)
    return (content, "") if content.strip() else (None, content)


def _held_back(text: str, tag: str) -> int:
    """How many trailing characters of `text` could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkRouter:
    """Routes streamed content to thinking or answer display as the tags go by; hides tool markup."""

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
            end, tools = text.find(_CLOSE), text.find(_TOOLS)
            if tools >= 0 and (end < 0 or tools < end):
                # A tool call before </think>: the thinking is over and the call is a call.
                self._state, self._pending = "tools", ""
                thought = text[:tools].removesuffix("\n")
                return [ThinkingDelta(thought)] if thought else []
            if end >= 0:
                self._state, self._pending, self._trim_answer_start = (
                    "answer",
                    text[end + len(_CLOSE) :],
                    True,
                )
                return [ThinkingDelta(text[:end])] if text[:end] else []
            keep = max(_held_back(text, _CLOSE), _held_back(text, _TOOLS))
            if text[: len(text) - keep].endswith("\n"):
                keep += 1  # the newline a tool-call wrapper may follow is not shown until known
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
