"""The OpenAI-compatible wire: every server shape of M2's thinking, JSON bodies, SSE chunks and errors.

Shapes (m2-facts.md; the launch flags that give each are in the README's server table):
- reasoning_split: hosted MiniMax asked for `reasoning_split`: `reasoning_details`.
- think_tags: hosted MiniMax by default, vLLM `minimax_m2_append_think`, SGLang `minimax-append-think`.
- reasoning: vLLM 0.16+ `--reasoning-parser minimax_m2` (content null when there is no answer text).
- reasoning_both: vLLM 0.15, the same thinking as both `reasoning` and `reasoning_content`.
- reasoning_content: vLLM before 0.15.
- sglang: SGLang's separate reasoning, `reasoning_content`, with explicit nulls in every delta.
- open_think: a tool parser but no reasoning parser: thinking with no opening tag, then `</think>`.
- native: no parser at all: the same, with raw `<minimax:tool_call>` markup for calls.
- native_unclosed: no parser, and the call made before the thinking was closed (no `</think>`).
- thinking_cut: no reasoning parser and every answer cut at max_tokens inside the thinking
  (finish_reason length, no `</think>`, no answer, no calls).
In every shape the canonical message is what came back, and what must go back, field for field.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from tests.fakes.minimax.native_markup import tool_call_markup
from tests.fakes.minimax.rendering import Rendered, Stream, pieces, to_json
from tests.fakes.minimax.turns import Turn, unique_id
from tests.fakes.minimax.usage import Usage

# How a server without reasoning_split carries thinking (see the module docstring).
OpenAIThinking = Literal[
    "think_tags",
    "reasoning",
    "reasoning_both",
    "reasoning_content",
    "sglang",
    "open_think",
    "native",
    "native_unclosed",
    "thinking_cut",
]
# The mode of one response: the configured shape, or reasoning_split when the request asked for it.
OpenAIMode = Literal["reasoning_split", OpenAIThinking]
# Shapes whose calls are raw markup in content (the client names them), and no structured tool_calls.
_RAW_CALLS = ("native", "native_unclosed")
_NO_CALLS = ("thinking_cut",)
# The separate thinking fields of each shape that has any.
_THINKING_FIELDS: dict[str, tuple[str, ...]] = {
    "reasoning": ("reasoning",),
    "reasoning_both": ("reasoning", "reasoning_content"),
    "reasoning_content": ("reasoning_content",),
    "sglang": ("reasoning_content",),
}
StreamStyle = Literal["incremental", "cumulative"]

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}


def authorized(headers: dict[str, str], api_key: str) -> bool:
    return headers.get("authorization") == f"Bearer {api_key}"


def mode_for(body: dict[str, Any], configured: OpenAIThinking) -> OpenAIMode:
    return "reasoning_split" if body.get("reasoning_split") is True else configured


def _reasoning_detail(text: str) -> dict[str, Any]:
    return {
        "type": "reasoning.text",
        "id": "reasoning-text-1",
        "format": "MiniMax-response-v1",
        "index": 0,
        "text": text,
    }


def _content(turn: Turn, mode: OpenAIMode) -> str:
    if mode == "think_tags":
        return f"<think>\n{turn.thinking}\n</think>\n\n{turn.text}"
    if mode == "open_think":
        return f"{turn.thinking}\n</think>\n\n{turn.text}"
    if mode == "native_unclosed" and turn.tool_calls:
        # The template writes "\n" + wrapper after a message's content; the model does the same.
        return f"{turn.thinking}\n{tool_call_markup(turn.tool_calls)}"
    if mode in _RAW_CALLS:
        return f"{turn.thinking}\n</think>\n\n{turn.text}{tool_call_markup(turn.tool_calls)}"
    if mode == "thinking_cut":
        return turn.thinking
    return turn.text


def canonical_message(turn: Turn, mode: OpenAIMode) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": _content(turn, mode)}
    if mode == "reasoning_split":
        message["reasoning_details"] = [_reasoning_detail(turn.thinking)]
    for key in _THINKING_FIELDS.get(mode, ()):
        message[key] = turn.thinking
    if turn.tool_calls and mode not in _RAW_CALLS + _NO_CALLS:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in turn.tool_calls
        ]
    return message


def _wire_message(message: dict[str, Any], mode: OpenAIMode) -> dict[str, Any]:
    """The message as the server's JSON carries it: vLLM and SGLang write null (vLLM an empty list for
    tool_calls) where there is nothing, and vLLM's content is null when there is no answer text."""
    if mode in ("reasoning", "reasoning_both"):
        return {"tool_calls": [], **message, "content": message["content"] or None}
    if mode == "sglang":
        return {"tool_calls": None, **message}
    return message


def _text_deltas(key: str, text: str, chunk_size: int, cumulative: bool) -> list[dict[str, Any]]:
    if not text:
        return []
    parts = pieces(text, chunk_size)
    if cumulative:
        parts = ["".join(parts[: i + 1]) for i in range(len(parts))]
    if key == "reasoning_details":
        return [{key: [_reasoning_detail(p)]} for p in parts]
    return [{key: p} for p in parts]


def _thinking_deltas(turn: Turn, mode: OpenAIMode, chunk_size: int, cumulative: bool) -> list[dict[str, Any]]:
    if mode == "reasoning_split":
        return _text_deltas("reasoning_details", turn.thinking, chunk_size, cumulative)
    fields = _THINKING_FIELDS.get(mode, ())
    if not fields:
        return []
    deltas = _text_deltas(fields[0], turn.thinking, chunk_size, cumulative)
    for delta in deltas:
        for key in fields[1:]:
            delta[key] = delta[fields[0]]  # vLLM 0.15: the same text under both names
        if mode == "sglang":
            delta.update(content=None, tool_calls=None)
    return deltas


def _deltas(turn: Turn, mode: OpenAIMode, chunk_size: int, cumulative: bool) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += _thinking_deltas(turn, mode, chunk_size, cumulative)
    content = _text_deltas("content", _content(turn, mode), chunk_size, cumulative)
    if mode == "sglang":
        for delta in content:
            delta.update(reasoning_content=None, tool_calls=None)
    deltas += content
    if mode in _RAW_CALLS + _NO_CALLS:
        return deltas
    for index, call in enumerate(turn.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": p}}]}
            for p in pieces(call.arguments_json, chunk_size)
        ]
    return deltas


def render(
    turn: Turn, mode: OpenAIMode, model: str, usage: Usage, chunk_size: int, style: StreamStyle
) -> Rendered:
    message = canonical_message(turn, mode)
    finish = "length" if mode == "thinking_cut" else "tool_calls" if "tool_calls" in message else "stop"
    ident, created = unique_id(""), int(time.time())

    def envelope(kind: str) -> dict[str, Any]:
        return {"id": ident, "object": kind, "created": created, "model": model}

    counts = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    body = {
        **envelope("chat.completion"),
        "choices": [{"index": 0, "message": _wire_message(message, mode), "finish_reason": finish}],
        "usage": counts,
        "base_resp": {"status_code": 0, "status_msg": ""},
    }

    def frame(choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {**envelope("chat.completion.chunk"), "choices": choices, **extra}
        return f"data: {to_json(chunk)}\n\n"

    deltas = _deltas(turn, mode, chunk_size, style == "cumulative")
    frames = [frame([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    final = [
        frame([{"index": 0, "delta": {}, "finish_reason": finish}]),
        frame([], usage=counts),
        "data: [DONE]\n\n",
    ]
    return Rendered(
        canonical=message,
        tool_ids=tuple(c.id for c in turn.tool_calls) if "tool_calls" in message else (),
        native_invokes=len(turn.tool_calls) if mode in _RAW_CALLS else 0,
        body=body,
        stream=Stream(frames, final),
    )


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """MiniMax's base_resp, plus OpenAI's error envelope whenever the status is not 200."""
    body: dict[str, Any] = {"base_resp": {"status_code": code, "status_msg": message}}
    if status != 200:
        body = {
            "error": {"message": message, "type": _ERROR_TYPES.get(status, "api_error"), "code": code},
            **body,
        }
    return body
