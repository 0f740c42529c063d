"""The one internal model of a conversation.

A session is an append-only list of turns. Assistant turns keep the exact provider message
(`provider_message`) so they go back value-identical on the protocol they arrived on; the
normalised `blocks` serve display, the agent loop and best-effort conversion to another protocol
(`converted_blocks`), which is used only for turns that arrived on the other one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "ApiProtocol",
    "AssistantBlock",
    "AssistantTurn",
    "CompactionTurn",
    "ContextTurn",
    "TextBlock",
    "ThinkingBlock",
    "ToolCall",
    "ToolResult",
    "ToolResultsTurn",
    "Turn",
    "TurnAdapter",
    "Usage",
    "UserTurn",
    "converted_blocks",
    "think_text",
]

ApiProtocol = Literal["anthropic", "openai"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Usage(_Model):
    input_tokens: int = 0
    output_tokens: int = 0


class ThinkingBlock(_Model):
    type: Literal["thinking"] = "thinking"
    text: str
    signature: str | None = None


class TextBlock(_Model):
    type: Literal["text"] = "text"
    text: str


class ToolCall(_Model):
    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # Set when the model's argument text was not a JSON object; the call is refused, not guessed.
    arguments_error: str | None = None


AssistantBlock = Annotated[ThinkingBlock | TextBlock | ToolCall, Field(discriminator="type")]


class ToolResult(_Model):
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    # Files the tool produced ({"path", "url", "kind"}): kept for display, never sent to the model.
    artifacts: list[dict[str, str]] = Field(default_factory=list[dict[str, str]])


class UserTurn(_Model):
    kind: Literal["user"] = "user"
    text: str


class ContextTurn(_Model):
    """Context a surface attached to the next user turn (editor state); not the user's words."""

    kind: Literal["context"] = "context"
    source: str
    text: str


class AssistantTurn(_Model):
    kind: Literal["assistant"] = "assistant"
    protocol: ApiProtocol
    model: str
    blocks: list[AssistantBlock]
    # The message exactly as it must be sent back on `protocol` (role included).
    provider_message: dict[str, Any]
    stop_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    # Cancelled or cut off: stored and shown, never sent back.
    incomplete: bool = False

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [b for b in self.blocks if isinstance(b, ToolCall)]

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks if isinstance(b, TextBlock))

    @property
    def thinking(self) -> str:
        return "\n".join(b.text for b in self.blocks if isinstance(b, ThinkingBlock))


class ToolResultsTurn(_Model):
    kind: Literal["tool_results"] = "tool_results"
    results: list[ToolResult]


class CompactionTurn(_Model):
    """A summary standing in for every turn before `replaces_before` (a turn index)."""

    kind: Literal["compaction"] = "compaction"
    summary: str
    replaces_before: int
    tokens_before: int = 0


Turn = Annotated[
    UserTurn | ContextTurn | AssistantTurn | ToolResultsTurn | CompactionTurn,
    Field(discriminator="kind"),
]

TurnAdapter: TypeAdapter[Turn] = TypeAdapter(Turn)


def think_text(thinking: str) -> str:
    """Thinking in M2's own text form, `<think>` tags and all, to go before the answer text.

    It is the form an OpenAI-compatible server without `reasoning_split` puts in `message.content`
    (m2-facts.md, "OpenAI-compatible") and the one MiniMax-M2's chat template renders into the prompt.
    """
    return f"<think>\n{thinking}\n</think>\n\n"


def converted_blocks(turn: AssistantTurn, to: ApiProtocol) -> list[AssistantBlock]:
    """The blocks of a turn that arrived on the other protocol, in a form `to` carries (best-effort).

    Anthropic refuses a thinking block without a signature, and signatures exist only on the
    Anthropic protocol; so thinking without one (all OpenAI thinking: `<think>` content,
    `reasoning_details`, `reasoning_content`) goes to Anthropic as `think_text` at the start of the
    turn's text, and all thinking goes to OpenAI that way. Text and tool calls go as they are.
    Lost on the way: signatures and redacted thinking (to OpenAI), `reasoning_details` fields other
    than the text (to Anthropic). Same-protocol turns must not come here: they go back as
    `provider_message`, value-identical.
    """
    signed: list[AssistantBlock] = []
    thoughts: list[str] = []
    for block in turn.blocks:
        if isinstance(block, ThinkingBlock):
            if block.signature and to == "anthropic":
                signed.append(block)
            else:
                thoughts.append(block.text)
    text = (think_text("\n".join(thoughts)) if thoughts else "") + turn.text
    return [*signed, *([TextBlock(text=text)] if text else []), *turn.tool_calls]
