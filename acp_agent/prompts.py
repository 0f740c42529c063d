"""An ACP prompt (content blocks) as the text of one user turn, and the engine's stop reasons as ACP's."""

from __future__ import annotations

from collections.abc import Sequence

from acp.schema import (
    AudioContentBlock,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    StopReason,
    TextContentBlock,
    TextResourceContents,
)

__all__ = ["PromptBlock", "prompt_text", "stop_reason"]

PromptBlock = (
    TextContentBlock
    | ImageContentBlock
    | AudioContentBlock
    | ResourceContentBlock
    | EmbeddedResourceContentBlock
)

# The engine's stop reasons (TurnResult.stop_reason) as ACP's; an error ends the turn normally, with its
# message shown as the agent's words.
_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "max_steps": "max_turn_requests",
    "cancelled": "cancelled",
    "max_tokens": "max_tokens",
    "refusal": "refusal",
    "error": "end_turn",
}


def stop_reason(engine: str) -> StopReason:
    return _STOP_REASONS.get(engine, "end_turn")


def prompt_text(blocks: Sequence[PromptBlock]) -> str:
    """Text as written; a linked file as a mention M2 can read with its tools; an embedded file's text
    in a fenced block under its URI. Images and audio are not offered in the capabilities."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, TextContentBlock):
            parts.append(block.text)
        elif isinstance(block, ResourceContentBlock):
            parts.append(f"[@{block.name}]({block.uri})")
        elif isinstance(block, EmbeddedResourceContentBlock):
            resource = block.resource
            if isinstance(resource, TextResourceContents):
                parts.append(f"{resource.uri}:\n```\n{resource.text}\n```")
            else:
                parts.append(f"[binary resource {resource.uri}, not shown]")
        else:
            parts.append(f"[{block.type} content, not supported]")
    return "\n\n".join(parts)
