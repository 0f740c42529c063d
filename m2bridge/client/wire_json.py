"""The JSON the model servers send, typed as the assemblers read it.

Each shape names what the reading code trusts. A field the code checks before use (a `usage` that may be
missing or odd, a `content` that may not be a string) is typed with the other possibilities too, so the
check stays and the checker sees why. A field the code uses without a check (a streamed choice is a
JSON object, a block event has an `index`) is typed as that, which is exactly what the code already
relied on: the types add no run-time work to the streaming path. A value is taken as one of these
shapes only after the code has seen that it is a JSON object.
"""

from __future__ import annotations

from typing import Literal, Required, TypedDict

__all__ = [
    "AnthropicEvent",
    "AnthropicMessage",
    "AnthropicUsage",
    "BlockDelta",
    "BlockEvent",
    "ChatChoice",
    "ChatChunk",
    "ChatCompletion",
    "ChatUsage",
    "ChoiceDelta",
    "FunctionDelta",
    "MessageDelta",
    "ReasoningDetail",
    "ReasoningField",
    "StreamedCall",
    "ToolCallDelta",
]

# ---------------------------------------------------------------------------------------------
# OpenAI-compatible chat completions

# Fields that carry thinking apart from content (see openai.py).
ReasoningField = Literal["reasoning", "reasoning_content"]


class ChatUsage(TypedDict, total=False):
    prompt_tokens: int | str | None
    completion_tokens: int | str | None


class ReasoningDetail(TypedDict, total=False):
    """One `reasoning_details` item (hosted MiniMax with `reasoning_split`)."""

    index: int | str
    text: object


class FunctionDelta(TypedDict, total=False):
    name: str
    arguments: str | None


class ToolCallDelta(TypedDict, total=False):
    index: int | str
    id: str
    type: str
    function: FunctionDelta | None


class ChoiceDelta(TypedDict, total=False):
    content: object  # a string, or null in a chunk that carries something else
    reasoning: object
    reasoning_content: object
    reasoning_details: list[ReasoningDetail] | None
    tool_calls: list[ToolCallDelta] | None


class ChatChoice(TypedDict, total=False):
    """A streamed choice (`delta`) or a whole one (`message`, checked before use)."""

    delta: ChoiceDelta | None
    message: object
    finish_reason: str | None


class ChatChunk(TypedDict, total=False):
    """One streamed chunk; MiniMax may put an error (`base_resp`, `error`) in its place."""

    choices: list[ChatChoice] | None
    usage: ChatUsage | None
    error: object
    base_resp: object


class ChatCompletion(TypedDict, total=False):
    """A whole (not streamed) answer."""

    choices: list[ChatChoice] | None
    usage: ChatUsage | None


class StreamedCall(TypedDict):
    """One tool call as its streamed parts are joined."""

    id: str
    type: str
    name: str
    arguments: str


# ---------------------------------------------------------------------------------------------
# Anthropic-compatible messages


class AnthropicUsage(TypedDict, total=False):
    input_tokens: int | str | None
    output_tokens: int | str | None


class BlockDelta(TypedDict, total=False):
    """A `content_block_delta`'s `delta`: one of text, thinking, signature or tool-input JSON."""

    type: str
    text: object
    thinking: object
    signature: object
    partial_json: object


class BlockEvent(TypedDict, total=False):
    """`content_block_start`, `_delta` (the event a long answer is made of) or `_stop`."""

    type: str
    index: Required[int | str]
    content_block: dict[str, object] | None
    delta: BlockDelta | None


class MessageDelta(TypedDict, total=False):
    stop_reason: str | None


class AnthropicEvent(TypedDict, total=False):
    """A streamed event about the whole message (`message_start`, `message_delta`), or an error."""

    type: str
    message: AnthropicMessage
    delta: MessageDelta | None
    usage: AnthropicUsage | None
    error: object
    base_resp: object


class AnthropicMessage(TypedDict, total=False):
    """A whole answer, or `message_start`'s message."""

    content: list[dict[str, object]] | None
    stop_reason: str | None
    usage: AnthropicUsage | None
