"""What a wire module hands the server: the canonical message, the JSON body and the stream frames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stream:
    """SSE frames; `final` holds the closing events a cut stream never sends."""

    body: list[str]
    final: list[str]


@dataclass(frozen=True)
class Rendered:
    canonical: dict[str, Any]
    tool_ids: tuple[str, ...]
    native_invokes: int
    body: dict[str, Any]
    stream: Stream


def pieces(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def to_json(value: Any) -> str:
    # Raw UTF-8 on the wire, so clients must decode multi-byte characters split across reads.
    return json.dumps(value, ensure_ascii=False)
