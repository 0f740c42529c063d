"""Rough token figures: about four characters per token, as a real tokenizer averages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


def estimate_usage(body: dict[str, Any], generated: str) -> Usage:
    prompt = json.dumps(body, ensure_ascii=False)
    return Usage(max(1, len(prompt) // 4), max(1, len(generated) // 4))
