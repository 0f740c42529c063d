"""Server-sent events from the bytes of a response, one batch of events per network read.

Decoding a whole chunk at once (instead of one line, one generator hop and one object per line) is
what keeps the relay as fast as reading the stream raw: a chunk is split at blank lines, and each
complete block becomes one event. Lines may end in CRLF, LF or CR (the SSE spec allows all three);
a CR at the end of a chunk is held back, since its LF may arrive in the next one.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any, NamedTuple, cast

__all__ = ["SSEDecoder", "ServerSentEvent", "json_data"]

# The C scanner behind json.loads, called directly (json.loads adds two Python calls and a
# whitespace regex around it: most of its cost on an event's small object).
_scan_once = cast(Callable[[str, int], tuple[Any, int]], vars(json.JSONDecoder())["scan_once"])


def json_data(text: str) -> Any:
    """`json.loads(text)`: the same result and the same errors, about twice as fast on event data.
    Text the scanner does not consume whole (surrounding whitespace, or not JSON) takes the full path."""
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError):  # no value at the start, or a malformed one
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


class ServerSentEvent(NamedTuple):
    # A named tuple: built once per event on the hot path, and cheaper to build than a dataclass.
    event: str
    data: str


# Builds an event without the named tuple's Python-level __new__ (a third of decoding a small event).
_new_event = cast(
    Callable[[type[ServerSentEvent], tuple[str, str]], ServerSentEvent], tuple[str, str].__new__
)


class SSEDecoder:
    """Feed the response's bytes as they arrive; get the events each chunk completes. Synchronous, so
    the hot loop adds no await."""

    def __init__(self) -> None:
        # UTF-8 whatever the headers say (the SSE spec fixes it); a character split between two
        # chunks is completed by the next one.
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._whole = True  # no partial character held: a chunk can be decoded on its own
        self._pending: list[str] = []  # text after the last blank line, not yet a whole event

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        try:
            # The common case, several times cheaper than the incremental decoder.
            text = chunk.decode() if self._whole else None
        except UnicodeDecodeError:
            text = None  # a character cut at the chunk's end, or bytes that are not UTF-8
        if text is None:
            text = self._utf8.decode(chunk)
            self._whole = not self._utf8.getstate()[0]
        return self._text(text)

    def finish(self) -> list[ServerSentEvent]:
        """The stream ended: a last event without its blank line still counts."""
        events = self._text(self._utf8.decode(b"", True))
        tail, self._pending = "".join(self._pending).replace("\r", "\n"), []
        return events + [e for block in tail.split("\n\n") if (e := _event(block)) is not None]

    def _text(self, text: str) -> list[ServerSentEvent]:
        if "\n" not in text and "\r" not in text:
            if text:
                self._pending.append(text)  # mid-event: join once the event is complete
            return []
        if self._pending:
            self._pending.append(text)
            text = "".join(self._pending)
        if "\r" in text:
            hold = text[-1] == "\r"
            if hold:
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if hold:
                text += "\r"  # stays pending; normalised once its next character is known
        blocks = text.split("\n\n")
        last = blocks.pop()
        self._pending = [last] if last else []
        events: list[ServerSentEvent] = []
        for block in blocks:
            # Inline fast paths for the two shapes model servers send: `event:` then one `data:`
            # line (Anthropic protocol), or one `data:` line (OpenAI protocol).
            if block[:7] == "event: ":
                end = block.find("\n")
                if block[end + 1 : end + 7] == "data: " and block.find("\n", end + 1) < 0:
                    events.append(_new_event(ServerSentEvent, (block[7:end] or "message", block[end + 7 :])))
                    continue
            elif block[:6] == "data: " and "\n" not in block:
                events.append(_new_event(ServerSentEvent, ("message", block[6:])))
                continue
            if (event := _event(block)) is not None:
                events.append(event)
        return events


def _event(block: str) -> ServerSentEvent | None:
    """One event from the lines between two blank lines; None for comments and data-less blocks."""
    if block[:1] == "\n":
        block = block[1:]  # a third newline in a row: a blank line that dispatches nothing
    event = ""
    data: list[str] = []
    for line in block.split("\n"):
        if not line or line[0] == ":":
            continue  # an empty tail, or a comment (used as keep-alive)
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    return ServerSentEvent(event or "message", "\n".join(data)) if data else None
