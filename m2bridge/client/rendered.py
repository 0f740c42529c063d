"""The JSON text each history turn renders to, kept between requests.

Every agent step sends the whole history again: a 1,000-turn session is most of a megabyte of JSON,
and building and serialising it took about 4 ms a step. History is append-only and a stored turn
renders the same way every time (an assistant turn's `provider_message` goes back verbatim), so each
turn is rendered and serialised once; a request joins the stored texts and serialises only new turns.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from m2bridge.messages import Turn

__all__ = ["MAX_CACHED_BYTES", "Rendered", "RenderedTurns", "joined_body", "json_bytes"]

# Enough for several long sessions sharing one client (the language server's); the least recently
# used go first.
MAX_CACHED_BYTES = 64_000_000

# (how the turn joins the messages, its JSON), or None for a turn that is not sent.
Rendered = tuple[str, bytes] | None


def json_bytes(value: Any) -> bytes:
    # json.dumps escapes everything outside ASCII, so encoding it is a plain copy.
    return json.dumps(value).encode()


def joined_body(head: str, messages: list[bytes]) -> bytes:
    """The body: `head` (the JSON object of the other fields) with `"messages": [...]` added, in one
    join, so the megabyte a long history weighs is allocated and copied once."""
    separated = [b", "] * (2 * len(messages) - 1) if messages else []
    separated[::2] = messages
    return b"".join([head[:-1].encode(), b', "messages": [', *separated, b"]}"])


class RenderedTurns:
    """`render(turn)` once per turn object while it stays in use (least recently used go first)."""

    def __init__(self, render: Callable[[Turn], Rendered], max_bytes: int = MAX_CACHED_BYTES) -> None:
        self._render = render
        self._max_bytes = max_bytes
        self._bytes = 0
        # Keyed by id(): turns are frozen but not hashable (their dicts). The entry holds the turn
        # itself, so its id cannot be reused by another object while the entry exists.
        self._entries: OrderedDict[int, tuple[Turn, Rendered]] = OrderedDict()

    def __call__(self, turn: Turn) -> Rendered:
        key = id(turn)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[1]
        rendered = self._render(turn)
        self._entries[key] = (turn, rendered)
        self._bytes += len(rendered[1]) if rendered else 0
        while self._bytes > self._max_bytes and len(self._entries) > 1:
            _, (_, old) = self._entries.popitem(last=False)
            self._bytes -= len(old[1]) if old else 0
        return rendered

    def __len__(self) -> int:
        return len(self._entries)
