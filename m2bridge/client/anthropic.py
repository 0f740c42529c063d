"""The Anthropic-compatible messages protocol: rendering history and assembling streamed blocks.

Assistant turns that arrived on this protocol go back as their stored `provider_message`, untouched:
MiniMax's rule is to append the whole `content` list, signed thinking blocks included (m2-facts.md,
"Anthropic-compatible"). Turns that arrived on the OpenAI protocol are converted best-effort, their
thinking sent as `<think>` text because an unsigned thinking block is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from m2bridge.client.error_mapping import api_error_from_body
from m2bridge.client.events import (
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallStarted,
    UsageUpdate,
    coalesced,
)
from m2bridge.client.rendered import (
    TOOLS_BYTES,
    TURNS_BYTES,
    Rendered,
    RenderedCache,
    joined_body,
    json_bytes,
)
from m2bridge.client.request import ModelRequest, context_text, sends_top_k, summary_text
from m2bridge.client.sse import ServerSentEvent, json_data
from m2bridge.client.wire import Assembler
from m2bridge.client.wire_json import (
    AnthropicEvent,
    AnthropicMessage,
    AnthropicUsage,
    BlockDelta,
    BlockEvent,
)
from m2bridge.config import Settings
from m2bridge.errors import ModelError
from m2bridge.json_values import is_mapping
from m2bridge.messages import (
    AssistantBlock,
    AssistantTurn,
    CompactionTurn,
    ContextTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResultsTurn,
    Turn,
    Usage,
    UserTurn,
    converted_blocks,
)
from m2bridge.tools import ToolSpec

__all__ = ["AnthropicAssembler", "AnthropicWire", "rendered_messages", "rendered_turn"]

_API_VERSION = "2023-06-01"


def _assistant_message(turn: AssistantTurn) -> dict[str, Any]:
    if turn.protocol == "anthropic":
        return turn.provider_message
    # A turn from the OpenAI protocol: its thinking travels as <think> text (see converted_blocks).
    content: list[dict[str, Any]] = []
    for block in converted_blocks(turn, "anthropic"):
        if isinstance(block, ThinkingBlock) and block.signature:
            content.append({"type": "thinking", "thinking": block.text, "signature": block.signature})
        elif isinstance(block, TextBlock) and block.text:
            content.append({"type": "text", "text": block.text})
        elif isinstance(block, ToolCall):
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.arguments})
    return {"role": "assistant", "content": content or [{"type": "text", "text": ""}]}


def rendered_turn(turn: Turn) -> Rendered:
    """("user", the JSON of its content blocks) or ("assistant", the JSON of its message)."""
    if isinstance(turn, UserTurn):
        return "user", json_bytes({"type": "text", "text": turn.text})
    if isinstance(turn, ContextTurn):
        return "user", json_bytes({"type": "text", "text": context_text(turn.source, turn.text)})
    if isinstance(turn, CompactionTurn):
        return "user", json_bytes({"type": "text", "text": summary_text(turn.summary)})
    if isinstance(turn, ToolResultsTurn):
        blocks = [
            {
                "type": "tool_result",
                "tool_use_id": r.tool_call_id,
                "content": r.content,
                **({"is_error": True} if r.is_error else {}),
            }
            for r in turn.results
        ]
        return "user", b", ".join(json_bytes(b) for b in blocks)
    if not turn.incomplete:  # the one kind left: an assistant turn
        return "assistant", json_bytes(_assistant_message(turn))
    return None  # an incomplete answer is stored and shown, never sent back


def _rendered_tool(tool: ToolSpec) -> Rendered:
    return "tool", json_bytes(
        {"name": tool.name, "description": tool.description, "input_schema": dict(tool.input_schema)}
    )


def rendered_messages(
    turns: Sequence[Turn], rendered: Callable[[Turn], Rendered] = rendered_turn
) -> list[bytes]:
    """The JSON of each message. Consecutive user content (context, a turn after a skipped
    incomplete answer, tool results) joins one user message."""
    messages: list[bytes] = []
    user: list[bytes] | None = None  # the open user message's blocks
    for turn in turns:
        part = rendered(turn)
        if part is None:
            continue
        role, text = part
        if role == "user":
            if user is None:
                user = []
            if text:
                user.append(text)
            continue
        if user is not None:
            messages.append(b'{"role": "user", "content": [' + b", ".join(user) + b"]}")
            user = None
        messages.append(text)
    if user is not None:
        messages.append(b'{"role": "user", "content": [' + b", ".join(user) + b"]}")
    return messages


class AnthropicWire:
    name = "anthropic"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._rendered = RenderedCache(rendered_turn, TURNS_BYTES)
        self._rendered_tools = RenderedCache(_rendered_tool, TOOLS_BYTES)

    def headers(self, key: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json", "anthropic-version": _API_VERSION}
        if key:
            headers["x-api-key"] = key
        return headers

    def body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """The request body as sent (`encode`), read back: for tests and diagnostics."""
        return json.loads(self.encode(request, stream=stream))

    def encode(self, request: ModelRequest, *, stream: bool) -> bytes:
        fields: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": stream,
        }
        if request.top_k is not None and sends_top_k(self.settings):
            fields["top_k"] = request.top_k  # a native Messages API field; vLLM and SGLang apply it
        if request.system:
            fields["system"] = request.system
        head = json.dumps(fields)
        tools = [r[1] for t in request.tools if (r := self._rendered_tools(t))] if request.tools else None
        # The tools' and the history's JSON is joined from each one's stored JSON (see rendered.py).
        return joined_body(head, rendered_messages(request.turns, self._rendered), tools)

    def assembler(self, request: ModelRequest, model: str) -> AnthropicAssembler:
        return AnthropicAssembler(self.settings, model)


class AnthropicAssembler(Assembler):
    def __init__(self, settings: Settings, model: str) -> None:
        self._settings = settings
        self._model = model
        self._blocks: dict[int, dict[str, object]] = {}
        # Streamed text is kept as parts and joined once: repeated concatenation is quadratic.
        self._parts: dict[tuple[int, str], list[str]] = {}
        self._json_parts: dict[int, list[str]] = {}
        self._closed: set[int] = set()
        self._stop_reason: str | None = None
        self._usage = Usage()
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    @property
    def empty(self) -> bool:
        return not self._blocks

    def feed_json(self, body: object) -> list[StreamEvent]:
        message = cast(AnthropicMessage, body) if isinstance(body, dict) else None
        content = message.get("content") if message is not None else None
        if message is None or not isinstance(content, list):
            raise ModelError(
                "The model server's answer has no content list.", code="bad_response", retryable=True
            )
        events: list[StreamEvent] = []
        for index, block in enumerate(content):
            self._blocks[index] = block
            self._closed.add(index)
            events += _display_events(block)
        self._stop_reason = message.get("stop_reason")
        self._take_usage(message.get("usage"))
        events.append(UsageUpdate(self._usage.input_tokens, self._usage.output_tokens))
        self._done = True
        return events

    def _take_usage(self, usage: AnthropicUsage | None) -> None:
        if isinstance(usage, dict):
            self._usage = Usage(
                input_tokens=int(usage.get("input_tokens") or self._usage.input_tokens),
                output_tokens=int(usage.get("output_tokens") or self._usage.output_tokens),
            )

    def feed_events(self, batch: list[ServerSentEvent]) -> list[StreamEvent]:
        # The hot path of a long answer, inlined: a text or thinking delta into its block's parts.
        events: list[StreamEvent] = []
        for sse in batch:
            try:
                data = json_data(sse.data)
            except ValueError:
                continue
            # `__class__ is dict`: exact and cheap. The checked JSON objects are then read as the
            # event and delta they say they are by annotation, not by a cast or a type guard: those
            # would be a call per event.
            if data.__class__ is dict and data.get("type") == "content_block_delta":
                delta = data.get("delta")
                if delta.__class__ is dict:
                    event: BlockEvent = data
                    block_delta: BlockDelta = delta
                    kind = block_delta.get("type")
                    if kind == "text_delta" or kind == "thinking_delta":
                        field = "text" if kind == "text_delta" else "thinking"
                        index = int(event["index"])
                        if index not in self._blocks:
                            self._blocks[index] = {"type": "text", "text": ""}
                        piece = str(block_delta.get(field, ""))
                        (self._parts.get((index, field)) or self._part(index, field)).append(piece)
                        if piece:
                            events.append(TextDelta(piece) if field == "text" else ThinkingDelta(piece))
                        continue
            events += self._feed(sse, data)
            if self._done:
                break
        return coalesced(events) if len(events) > 1 else events

    def feed_sse(self, sse: ServerSentEvent) -> list[StreamEvent]:
        try:
            data = json_data(sse.data)
        except ValueError:
            return []
        return self._feed(sse, data)

    def _feed(self, sse: ServerSentEvent, data: object) -> list[StreamEvent]:
        # A JSON object, read as the event its kind names.
        event = cast(AnthropicEvent, data) if data.__class__ is dict else None
        kind = event.get("type", sse.event) if event is not None else sse.event
        if kind == "error" or (event is not None and "base_resp" in event and "type" not in event):
            raise self._stream_error(data)
        if kind == "message_stop":
            self._done = True
            return []
        if event is None:
            return []  # not a JSON object: no fields to read
        if kind == "message_start":
            self._take_usage(event.get("message", {}).get("usage"))
            return [UsageUpdate(self._usage.input_tokens, self._usage.output_tokens)]
        if kind == "message_delta":
            self._stop_reason = (event.get("delta") or {}).get("stop_reason", self._stop_reason)
            self._take_usage(event.get("usage"))
            return [UsageUpdate(self._usage.input_tokens, self._usage.output_tokens)]
        block_event = cast(BlockEvent, event)
        if kind == "content_block_start":
            index = int(block_event["index"])
            block = dict(block_event.get("content_block") or {})
            self._blocks[index] = block
            if block.get("type") == "tool_use":
                self._json_parts[index] = []
                return [ToolCallStarted(str(block.get("name", "")))]
            return []
        if kind == "content_block_delta":
            return self._apply_delta(int(block_event["index"]), block_event.get("delta") or {})
        if kind == "content_block_stop":
            self._close_block(int(block_event["index"]))
        return []

    def _stream_error(self, data: object) -> ModelError:
        if (api := api_error_from_body(data, self._settings, {})) is not None:
            return api
        error = data.get("error") if is_mapping(data) else None
        message = error.get("message", "unknown") if is_mapping(error) else str(data)
        kind = error.get("type", "") if is_mapping(error) else ""
        retryable = kind in ("overloaded_error", "api_error", "rate_limit_error")
        return ModelError(f"The model stream failed: {message}", code="stream_error", retryable=retryable)

    def _apply_delta(self, index: int, delta: BlockDelta) -> list[StreamEvent]:
        self._blocks.setdefault(index, {"type": "text", "text": ""})
        kind = delta.get("type")
        if kind == "thinking_delta":
            piece = str(delta.get("thinking", ""))
            self._part(index, "thinking").append(piece)
            return [ThinkingDelta(piece)] if piece else []
        if kind == "signature_delta":
            self._part(index, "signature").append(str(delta.get("signature", "")))
        elif kind == "text_delta":
            piece = str(delta.get("text", ""))
            self._part(index, "text").append(piece)
            return [TextDelta(piece)] if piece else []
        elif kind == "input_json_delta":
            self._json_parts.setdefault(index, []).append(str(delta.get("partial_json", "")))
        return []

    def _part(self, index: int, field: str) -> list[str]:
        parts = self._parts.get((index, field))
        if parts is None:
            # Whatever content_block_start carried comes first.
            parts = self._parts[(index, field)] = [str(self._blocks[index].get(field) or "")]
        return parts

    def _joined(self, index: int) -> dict[str, Any]:
        block = dict(self._blocks[index])
        for (at, field), parts in self._parts.items():
            if at == index:
                block[field] = "".join(parts)
        return block

    def _close_block(self, index: int) -> None:
        block = self._blocks.get(index)
        if block is not None and block.get("type") == "tool_use" and index in self._json_parts:
            text = "".join(self._json_parts.pop(index))
            try:
                block["input"] = json.loads(text) if text.strip() else block.get("input", {})
            except ValueError:
                block["input_error"] = text
        self._closed.add(index)

    def turn(self, *, incomplete: bool) -> AssistantTurn:
        content: list[dict[str, Any]] = []
        blocks: list[AssistantBlock] = []
        for index in sorted(self._blocks):
            block = self._joined(index)
            if block.get("type") == "tool_use" and (index not in self._closed or "input_error" in block):
                if not incomplete:
                    blocks.append(_tool_call(block))
                    content.append({k: v for k, v in block.items() if k != "input_error"})
                continue  # an unfinished tool call in a cut turn is dropped, never run
            content.append(block)
            blocks += _normalised(block)
        return AssistantTurn(
            protocol="anthropic",
            model=self._model,
            blocks=blocks,
            provider_message={"role": "assistant", "content": content},
            stop_reason="cancelled" if incomplete and self._stop_reason is None else self._stop_reason,
            usage=self._usage,
            incomplete=incomplete,
        )


def _tool_call(block: Mapping[str, object]) -> ToolCall:
    found = block.get("input")
    error = None
    arguments: dict[str, Any] = {}
    if "input_error" in block or not isinstance(found, dict):
        error = f"the tool arguments were not a JSON object: {str(block.get('input_error', found))[:200]}"
    else:
        arguments = cast("dict[str, Any]", found)  # a JSON object: its keys are strings
    return ToolCall(
        id=str(block.get("id", "")),
        name=str(block.get("name", "")),
        arguments=arguments,
        arguments_error=error,
    )


def _normalised(block: dict[str, Any]) -> list[AssistantBlock]:
    kind = block.get("type")
    if kind == "thinking":
        return [ThinkingBlock(text=str(block.get("thinking", "")), signature=block.get("signature") or None)]
    if kind == "text":
        return [TextBlock(text=str(block.get("text", "")))]
    if kind == "tool_use":
        return [_tool_call(block)]
    return []  # other block kinds (redacted thinking) travel in provider_message only


def _display_events(block: dict[str, Any]) -> list[StreamEvent]:
    kind = block.get("type")
    if kind == "thinking" and block.get("thinking"):
        return [ThinkingDelta(str(block["thinking"]))]
    if kind == "text" and block.get("text"):
        return [TextDelta(str(block["text"]))]
    if kind == "tool_use":
        return [ToolCallStarted(str(block.get("name", "")))]
    return []
