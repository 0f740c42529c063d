"""Anthropic's rule that tool blocks travel with tool definitions.

Anthropic's Messages API refuses (HTTP 400) any request whose messages carry a `tool_use` or
`tool_result` block while the body defines no tools: "Requests which include `tool_use` or
`tool_result` blocks must define tools." The strict fake enforces it on every Anthropic request, so a
client that replays tool history without its tools (a summary request, say) fails the test.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.minimax.request_info import WireProtocol

__all__ = ["ANTHROPIC_TOOL_RULE", "tool_definition_problems"]

ANTHROPIC_TOOL_RULE = "Requests which include tool_use or tool_result blocks must define tools"
_TOOL_BLOCKS = frozenset({"tool_use", "tool_result"})


def _first_tool_block(messages: Any) -> str | None:
    """Where the first tool block is, as `messages[i].content[j] (kind)`; None if there is none."""
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, dict) and block.get("type") in _TOOL_BLOCKS:
                return f"messages[{i}].content[{j}] ({block['type']})"
    return None


def tool_definition_problems(body: dict[str, Any], protocol: WireProtocol) -> list[str]:
    """Anthropic only: tool blocks in the messages need a non-empty `tools` list."""
    if protocol != "anthropic":
        return []
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        return []
    where = _first_tool_block(body.get("messages"))
    if where is None:
        return []
    return [f"{where} is a tool block but the request defines no tools ({ANTHROPIC_TOOL_RULE})"]
