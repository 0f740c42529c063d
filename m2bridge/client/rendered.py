"""The JSON each history turn (and each tool definition) renders to, kept between requests.

Every agent step sends the whole history again: a 1,000-turn session is most of a megabyte of JSON,
and building and serialising it took about 4 ms a step. History is append-only and a stored turn
renders the same way every time (an assistant turn's `provider_message` goes back verbatim), so each
turn is rendered and serialised once; a request joins the stored JSON and serialises only new turns.
Tool definitions (30 kB for the built-in set) are kept the same way.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["TOOLS_BYTES", "TURNS_BYTES", "Rendered", "RenderedCache", "joined_body", "json_bytes"]

# Enough for several long sessions sharing one client (the language server's): the least recently
# used go first. Tools are few, and a tool whose spec is built anew each time must not crowd them out.
TURNS_BYTES = 32_000_000
TOOLS_BYTES = 2_000_000

# (how the object joins the body, its JSON), or None for an object that is not sent.
Rendered = tuple[str, bytes] | None

T = TypeVar("T")


def json_bytes(value: Any) -> bytes:
    # json.dumps escapes everything outside ASCII, so encoding it is a plain copy.
    return json.dumps(value).encode()


def joined_body(head: str, messages: list[bytes], tools: list[bytes] | None = None) -> bytes:
    """The body: `head` (the JSON object of the other fields) with `"tools"` (when given) and
    `"messages"` added, in one join, so the megabyte a long history weighs is copied once."""
    pieces = [head[:-1].encode()]
    for name, items in (("tools", tools), ("messages", messages)):
        if items is None:
            continue
        separated = [b", "] * (2 * len(items) - 1) if items else []
        separated[::2] = items
        pieces += [f', "{name}": ['.encode(), *separated, b"]"]
    pieces.append(b"}")
    return b"".join(pieces)


class RenderedCache(Generic[T]):
    """`render(obj)` once per object while it stays in use (the least recently used go first)."""

    def __init__(self, render: Callable[[T], Rendered], max_bytes: int) -> None:
        self._render = render
        self._max_bytes = max_bytes
        self._bytes = 0
        # Keyed by id(): turns are frozen but not hashable (their dicts). The entry holds the object
        # itself, so its id cannot be reused by another object while the entry exists.
        self._entries: OrderedDict[int, tuple[T, Rendered]] = OrderedDict()

    def __call__(self, obj: T) -> Rendered:
        key = id(obj)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[1]
        rendered = self._render(obj)
        self._entries[key] = (obj, rendered)
        self._bytes += len(rendered[1]) if rendered else 0
        while self._bytes > self._max_bytes and len(self._entries) > 1:
            _, (_, old) = self._entries.popitem(last=False)
            self._bytes -= len(old[1]) if old else 0
        return rendered

    def __len__(self) -> int:
        return len(self._entries)
