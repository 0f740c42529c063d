"""The OpenAI-compatible wire: four ways of carrying thinking, JSON bodies, SSE chunks and errors."""

from __future__ import annotations

import time
from typing import Any, Literal

from tests.fakes.minimax.native_markup import tool_call_markup
from tests.fakes.minimax.rendering import Rendered, Stream, pieces, to_json
from tests.fakes.minimax.turns import Turn, unique_id
from tests.fakes.minimax.usage import Usage

# How a server without reasoning_split carries thinking: MiniMax/vLLM append_think, vLLM's
# minimax_m2 reasoning parser, or no parser at all (raw text and raw tool-call markup).
OpenAIThinking = Literal["think_tags", "reasoning_content", "native"]
OpenAIMode = Literal["reasoning_split", "think_tags", "reasoning_content", "native"]
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
    if mode == "native":
        return f"{turn.thinking}\n</think>\n\n{turn.text}{tool_call_markup(turn.tool_calls)}"
    return turn.text


def canonical_message(turn: Turn, mode: OpenAIMode) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": _content(turn, mode)}
    if mode == "reasoning_split":
        message["reasoning_details"] = [_reasoning_detail(turn.thinking)]
    if mode == "reasoning_content":
        message["reasoning_content"] = turn.thinking
    if turn.tool_calls and mode != "native":
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in turn.tool_calls
        ]
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


def _deltas(turn: Turn, mode: OpenAIMode, chunk_size: int, cumulative: bool) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if mode in ("reasoning_split", "reasoning_content"):
        key = "reasoning_details" if mode == "reasoning_split" else "reasoning_content"
        deltas += _text_deltas(key, turn.thinking, chunk_size, cumulative)
    deltas += _text_deltas("content", _content(turn, mode), chunk_size, cumulative)
    if mode == "native":
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
    finish = "tool_calls" if "tool_calls" in message else "stop"
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
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
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
        tool_ids=tuple(c.id for c in turn.tool_calls) if mode != "native" else (),
        native_invokes=len(turn.tool_calls) if mode == "native" else 0,
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
