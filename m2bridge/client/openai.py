"""The OpenAI-compatible chat-completions protocol, in every way a server carries M2's thinking.

m2-facts.md's shapes, all read streamed and not:
- hosted MiniMax with `reasoning_split`: `reasoning_details` (a list; text in `[0]["text"]`);
- hosted MiniMax without it, vLLM `--reasoning-parser minimax_m2_append_think`, SGLang
  `--reasoning-parser minimax-append-think`: `<think>...</think>` inside content;
- vLLM `--reasoning-parser minimax_m2`: `reasoning` from 0.16 on, `reasoning` and `reasoning_content`
  (the same text) in 0.15, `reasoning_content` before; SGLang's separate reasoning: `reasoning_content`;
- no reasoning parser: thinking with no opening tag, ended by `</think>` or by a tool call
  (`think_router.split_generated`); no tool parser: raw `<minimax:tool_call>` markup in content.

Sending back: the assistant message goes back exactly as received, every field included. Each server
reads back the field it writes: vLLM's chat_utils takes `reasoning` from an assistant message and hands
it to the chat template as `reasoning_content` too (what MiniMax-M2's template renders as
`<think>...</think>`); SGLang's message model carries `reasoning_content` into the template; content
with `</think>` is split by the template itself. Rewriting the message into another field or into
`<think>` tags would change what M2 returned, which the history rule forbids.

Sampling: `top_k` (MiniMax recommends 40) is sent only to self-hosted servers, where vLLM and SGLang
apply it as an extra body field; hosted MiniMax ignores it, so it is left out there.
"""

from __future__ import annotations

import json
import uuid
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
from m2bridge.client.native_tools import has_tool_markup, parse_tool_calls, split_thinking
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
from m2bridge.client.stream_text import StreamKind, StreamText
from m2bridge.client.think_router import ThinkRouter, split_generated
from m2bridge.client.wire import Assembler
from m2bridge.client.wire_json import (
    ChatChunk,
    ChatCompletion,
    ChatUsage,
    ChoiceDelta,
    FunctionDelta,
    ReasoningField,
    StreamedCall,
)
from m2bridge.config import Settings
from m2bridge.errors import ModelError
from m2bridge.json_values import is_list, is_mapping
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

__all__ = ["OpenAIAssembler", "OpenAIWire", "rendered_messages", "rendered_turn"]


def _assistant_message(turn: AssistantTurn) -> dict[str, Any]:
    if turn.protocol == "openai":
        return turn.provider_message
    # A turn from the Anthropic protocol: its thinking rides in <think> tags (see converted_blocks).
    blocks = converted_blocks(turn, "openai")
    content = "".join(b.text for b in blocks if isinstance(b, TextBlock))
    message: dict[str, Any] = {"role": "assistant", "content": content}
    calls = [b for b in blocks if isinstance(b, ToolCall)]
    if calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for c in calls
        ]
    return message


def _string_body(text: str) -> bytes:
    """The JSON string of `text` without its quotes: escaping is per character, so the bodies of two
    strings joined are the body of the joined string."""
    return json_bytes(text)[1:-1]


def rendered_turn(turn: Turn) -> Rendered:
    """("user", the JSON body of its text) or ("messages", the JSON of its messages)."""
    if isinstance(turn, UserTurn):
        return "user", _string_body(turn.text)
    if isinstance(turn, ContextTurn):
        return "user", _string_body(context_text(turn.source, turn.text))
    if isinstance(turn, CompactionTurn):
        return "user", _string_body(summary_text(turn.summary))
    if isinstance(turn, ToolResultsTurn):
        return "messages", b", ".join(
            json_bytes({"role": "tool", "tool_call_id": r.tool_call_id, "content": r.content})
            for r in turn.results
        )
    if not turn.incomplete:  # the one kind left: an assistant turn
        return "messages", json_bytes(_assistant_message(turn))
    return None  # an incomplete answer is stored and shown, never sent back


def _rendered_tool(tool: ToolSpec) -> Rendered:
    function = {"name": tool.name, "description": tool.description, "parameters": dict(tool.input_schema)}
    return "tool", json_bytes({"type": "function", "function": function})


def rendered_messages(
    system: str, turns: Sequence[Turn], rendered: Callable[[Turn], Rendered] = rendered_turn
) -> list[bytes]:
    """The JSON of each message. Consecutive user content (context, a turn after a skipped
    incomplete answer) joins one user message, its texts separated by a blank line."""
    messages: list[bytes] = []
    if system:
        messages.append(json_bytes({"role": "system", "content": system}))
    user: list[bytes] = []  # the open user message's texts
    for turn in turns:
        part = rendered(turn)
        if part is None:
            continue
        role, text = part
        if role == "user":
            user.append(text)
            continue
        if not text:
            continue  # a results turn with no results adds nothing and keeps a user message open
        if user:
            messages.append(b'{"role": "user", "content": "' + b"\\n\\n".join(user) + b'"}')
            user = []
        messages.append(text)
    if user:
        messages.append(b'{"role": "user", "content": "' + b"\\n\\n".join(user) + b'"}')
    return messages


class OpenAIWire:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._rendered = RenderedCache(rendered_turn, TURNS_BYTES)
        self._rendered_tools = RenderedCache(_rendered_tool, TOOLS_BYTES)

    @property
    def reasoning_split(self) -> bool:
        return self.settings.uses_minimax_host

    def headers(self, key: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if key:
            headers["authorization"] = f"Bearer {key}"
        return headers

    def body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """The request body as sent (`encode`), read back: for tests and diagnostics."""
        return json.loads(self.encode(request, stream=stream))

    def encode(self, request: ModelRequest, *, stream: bool) -> bytes:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if self.reasoning_split:
            body["reasoning_split"] = True
        if request.top_k is not None and sends_top_k(self.settings):
            body["top_k"] = request.top_k  # an extra body field vLLM and SGLang apply
        head = json.dumps(body)
        tools = [r[1] for t in request.tools if (r := self._rendered_tools(t))] if request.tools else None
        # The tools' and the history's JSON is joined from each one's stored JSON (see rendered.py).
        return joined_body(head, rendered_messages(request.system, request.turns, self._rendered), tools)

    def assembler(self, request: ModelRequest, model: str) -> OpenAIAssembler:
        schemas = {t.name: dict(t.input_schema) for t in request.tools}
        return OpenAIAssembler(self.settings, model, schemas, expect_think_tags=not self.reasoning_split)


# Fields that carry thinking apart from content, in the order their text is preferred for display.
_REASONING_FIELDS: tuple[ReasoningField, ...] = ("reasoning", "reasoning_content")


class OpenAIAssembler(Assembler):
    def __init__(
        self, settings: Settings, model: str, schemas: dict[str, Any], *, expect_think_tags: bool
    ) -> None:
        self._settings = settings
        self._model = model
        self._schemas = schemas
        self._expect_think_tags = expect_think_tags
        self._kind = StreamKind()
        self._content = self._kind.field()
        self._reasoning: dict[str, StreamText] = {}
        self._details: dict[int, dict[str, object]] = {}
        self._detail_text: dict[int, StreamText] = {}
        self._shown_thinking: StreamText | None = None  # the one thinking field that is displayed
        self._calls: dict[int, StreamedCall] = {}
        self._router = ThinkRouter(expect_thinking=expect_think_tags)
        self._message: dict[str, object] | None = None  # a non-streamed message, kept as received
        self._finish: str | None = None
        self._usage = Usage()
        self._done = False
        self._saw_data = False

    @property
    def done(self) -> bool:
        return self._done

    @property
    def empty(self) -> bool:
        return not self._saw_data

    def _take_usage(self, usage: ChatUsage | None) -> UsageUpdate | None:
        if not isinstance(usage, dict):
            return None
        self._usage = Usage(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )
        return UsageUpdate(self._usage.input_tokens, self._usage.output_tokens)

    def feed_json(self, body: object) -> list[StreamEvent]:
        answer = cast(ChatCompletion, body) if isinstance(body, dict) else None
        choices = answer.get("choices") if answer is not None else None
        message = choices[0].get("message") if choices else None
        if not choices or not isinstance(message, dict):
            raise ModelError("The model server's answer has no message.", code="bad_response", retryable=True)
        # Its keys are strings: it is a JSON object.
        fields = cast("dict[str, object]", message)
        self._message = {k: v for k, v in fields.items() if v is not None and v != []}
        self._finish = choices[0].get("finish_reason")
        self._saw_data = True
        self._done = True
        turn = self.turn(incomplete=False)
        events: list[StreamEvent] = []
        if turn.thinking:
            events.append(ThinkingDelta(turn.thinking))
        if turn.text:
            events.append(TextDelta(turn.text))
        events += [ToolCallStarted(c.name) for c in turn.tool_calls]
        if answer is not None and (usage := self._take_usage(answer.get("usage"))) is not None:
            events.append(usage)
        return events

    def feed_sse(self, sse: ServerSentEvent) -> list[StreamEvent]:
        return self.feed_events([sse])

    def feed_events(self, batch: list[ServerSentEvent]) -> list[StreamEvent]:
        # Streamed text is settled (and routed past <think> tags) once per batch, not once per chunk;
        # any other event first settles the text before it, so the order is as if chunk by chunk.
        events: list[StreamEvent] = []
        for sse in batch:
            self._feed(sse, events)
            if self._done:
                return coalesced(events)
        events += self._settled()
        return coalesced(events)

    def _feed(self, sse: ServerSentEvent, events: list[StreamEvent]) -> None:
        if sse.data.strip() == "[DONE]":
            self._done = True
            self._kind.finish()
            events += self._settled()
            events += self._router.flush()
            return
        try:
            value = json_data(sse.data)
        except ValueError:
            return
        if value.__class__ is not dict:
            return
        # A JSON object, read as a chunk. An annotation, not a cast: no call on the hot path.
        chunk: ChatChunk = value
        if "base_resp" in chunk and (api := api_error_from_body(chunk, self._settings, {})) is not None:
            raise api
        if (error := chunk.get("error")) is not None and is_mapping(error):
            raise ModelError(f"The model stream failed: {error.get('message')}", code="stream_error")
        if (usage := self._take_usage(chunk.get("usage"))) is not None:
            events += self._settled()
            events.append(usage)
        for choice in chunk.get("choices") or []:
            self._saw_data = True
            self._apply_delta(choice.get("delta") or {}, events)
            if finish := choice.get("finish_reason"):
                self._finish = finish

    def _thinking_field(self, text: StreamText) -> None:
        """A separate thinking field arrived: content is all answer; show the first such field only
        (vLLM 0.15 sends the same text as both `reasoning` and `reasoning_content`)."""
        self._router.reasoning_seen()
        if self._shown_thinking is None:
            self._shown_thinking = text

    def _settled(self) -> list[StreamEvent]:
        """Display events for the text whose place is now known (see stream_text)."""
        events: list[StreamEvent] = []
        fields = [self._detail_text[i] for i in sorted(self._detail_text)] + list(self._reasoning.values())
        for field in fields:
            if (new := field.take()) and field is self._shown_thinking:
                events.append(ThinkingDelta(new))
        if new := self._content.take():
            events += self._router.feed(new)
        return events

    def _apply_delta(self, delta: ChoiceDelta, events: list[StreamEvent]) -> None:
        for item in delta.get("reasoning_details") or []:
            index = int(item.get("index", 0))
            # The item's other keys as first sent; its text is assembled apart (see _streamed_message).
            self._details.setdefault(index, {k: v for k, v in item.items() if k != "text"})
            text = self._detail_text.get(index)
            if text is None:
                text = self._detail_text[index] = self._kind.field()
            text.feed(str(item.get("text") or ""))
            self._thinking_field(text)
        for key in _REASONING_FIELDS:
            if isinstance(reasoning := delta.get(key), str):
                field = self._reasoning.get(key)
                if field is None:
                    field = self._reasoning[key] = self._kind.field()
                field.feed(reasoning)
                if reasoning:
                    self._thinking_field(field)
        if isinstance(content := delta.get("content"), str):
            self._content.feed(content)
        if not (tool_calls := delta.get("tool_calls")):
            return
        events += self._settled()
        for part in tool_calls:
            index = int(part.get("index", len(self._calls)))
            call = self._calls.get(index)
            function: FunctionDelta = part.get("function") or {}
            if call is None:
                call = self._calls[index] = {
                    "id": part.get("id", ""),
                    "type": part.get("type", "function"),
                    "name": "",
                    "arguments": "",
                }
            if call_id := part.get("id"):
                call["id"] = call_id
            if name := function.get("name"):
                call["name"] += name
                events.append(ToolCallStarted(call["name"]))
            call["arguments"] += function.get("arguments") or ""

    def _streamed_message(self) -> dict[str, object]:
        message: dict[str, object] = {"role": "assistant", "content": self._content.text}
        if self._calls:
            message["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": c["type"],
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for _, c in sorted(self._calls.items())
            ]
        if self._details:
            message["reasoning_details"] = [
                {**self._details[i], "text": self._detail_text[i].text} for i in sorted(self._details)
            ]
        for key, field in self._reasoning.items():
            if field.seen:
                message[key] = field.text
        return message

    def _thinking_and_answer(self, message: Mapping[str, object]) -> tuple[str | None, str]:
        content = message.get("content") or ""
        if not isinstance(content, str):
            # A list of content parts; JSON's other values hold no text parts.
            parts = content if is_list(content) else []
            content = "".join(str(p.get("text") or "") for p in parts if is_mapping(p))
        if (details := message.get("reasoning_details")) and is_list(details):
            return "".join(str(d.get("text") or "") for d in details if is_mapping(d)), content
        for key in _REASONING_FIELDS:
            if isinstance(reasoning := message.get(key), str):
                return reasoning or None, content
        if self._expect_think_tags:
            return split_generated(content)
        return split_thinking(content)

    def turn(self, *, incomplete: bool) -> AssistantTurn:
        message = self._message if self._message is not None else self._streamed_message()
        thinking, answer = self._thinking_and_answer(message)
        blocks: list[AssistantBlock] = []
        if thinking:
            blocks.append(ThinkingBlock(text=thinking))
        tool_calls = message.get("tool_calls")
        calls = [_tool_call(c) for c in tool_calls if is_mapping(c)] if is_list(tool_calls) else []
        if not calls and has_tool_markup(answer):
            parsed = parse_tool_calls(answer, self._schemas)
            answer = parsed.text
            calls = [
                ToolCall(
                    id=f"call_{uuid.uuid4().hex[:16]}",
                    name=c.name,
                    arguments=c.arguments if not c.error else {},
                    arguments_error=c.error,
                )
                for c in parsed.calls
            ]
        if answer:
            blocks.append(TextBlock(text=answer))
        if not incomplete:
            blocks += calls
        return AssistantTurn(
            protocol="openai",
            model=self._model,
            blocks=blocks,
            provider_message=message,
            stop_reason=_stop_reason(self._finish, incomplete, bool(calls)),
            usage=self._usage,
            incomplete=incomplete,
        )


def _stop_reason(finish: str | None, incomplete: bool, has_calls: bool) -> str | None:
    if incomplete and finish is None:
        return "cancelled"
    if has_calls:
        return "tool_use"
    return {"stop": "end_turn", "length": "max_tokens"}.get(finish or "", finish)


def _tool_call(raw: Mapping[object, object]) -> ToolCall:
    found = raw.get("function")
    function: Mapping[object, object] = found if is_mapping(found) else {}
    text = function.get("arguments") or ""
    if not isinstance(text, str):
        text = str(text)  # not the JSON text of an object: refused below
    error = None
    try:
        parsed: object = json.loads(text) if text.strip() else {}
    except ValueError:
        parsed = None
    arguments: dict[str, Any] = {}
    if isinstance(parsed, dict):
        arguments = cast("dict[str, Any]", parsed)  # a JSON object: its keys are strings
    else:
        error = f"the tool arguments were not a JSON object: {text[:200]}"
    return ToolCall(
        id=str(raw.get("id", "")),
        name=str(function.get("name", "")),
        arguments=arguments,
        arguments_error=error,
    )
