"""What a client sent the fake M2: user texts and tool results, read the same way in either wire protocol."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["tool_results", "tool_results_sent", "user_texts"]


def user_texts(request: Any) -> list[str]:
    """Every text the client sent as user content in one request."""
    texts: list[str] = []
    for message in request.body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return texts


def tool_results(request: Any) -> list[str]:
    """Every tool result in one request: OpenAI `tool` messages and Anthropic `tool_result` blocks."""
    found: list[str] = []
    for message in request.body.get("messages", []):
        if message.get("role") == "tool":
            found.append(str(message.get("content")))
        content = message.get("content")
        if isinstance(content, list):
            found += [
                json.dumps(block.get("content"))
                for block in content
                if isinstance(block, dict) and block.get("type") == "tool_result"
            ]
    return found


def tool_results_sent(fake: Any) -> list[str]:
    """Every tool result the client sent back over all its requests."""
    return [result for request in fake.requests for result in tool_results(request)]
