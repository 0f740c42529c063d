"""The Anthropic-compatible wire: the canonical message, the JSON body, the SSE events and errors."""

from __future__ import annotations

from typing import Any

from tests.fakes.minimax.rendering import Rendered, Stream, pieces, to_json
from tests.fakes.minimax.turns import Turn, unique_id
from tests.fakes.minimax.usage import Usage

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def authorized(headers: dict[str, str], api_key: str) -> bool:
    return headers.get("x-api-key") == api_key or headers.get("authorization") == f"Bearer {api_key}"


def canonical_content(turn: Turn) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [
        {"type": "thinking", "thinking": turn.thinking, "signature": turn.signature}
    ]
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    content += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in turn.tool_calls
    ]
    return content


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {to_json({'type': name, **data})}\n\n"


def _block_events(index: int, block: dict[str, Any], chunk_size: int) -> list[str]:
    kind = block["type"]
    if kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in pieces(block["thinking"], chunk_size)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in pieces(block["text"], chunk_size)]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in pieces(to_json(block["input"]), chunk_size)
        ]
    return [
        _event("content_block_start", {"index": index, "content_block": start}),
        *(_event("content_block_delta", {"index": index, "delta": d}) for d in deltas),
        _event("content_block_stop", {"index": index}),
    ]


def render(turn: Turn, model: str, usage: Usage, chunk_size: int) -> Rendered:
    content = canonical_content(turn)
    stop_reason = "tool_use" if turn.tool_calls else "end_turn"
    message = {"id": unique_id("msg_"), "type": "message", "role": "assistant", "model": model}
    body = {
        **message,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
    }
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": 1},
    }
    frames = [_event("message_start", {"message": start})]
    for index, block in enumerate(content):
        frames += _block_events(index, block, chunk_size)
        if index == 0:
            frames.append(_event("ping", {}))
    final = [
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": usage.output_tokens},
            },
        ),
        _event("message_stop", {}),
    ]
    return Rendered(
        canonical={"role": "assistant", "content": content},
        tool_ids=tuple(c.id for c in turn.tool_calls),
        native_invokes=0,
        body=body,
        stream=Stream(frames, final),
    )


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """MiniMax's base_resp, plus Anthropic's error envelope whenever the status is not 200."""
    body: dict[str, Any] = {"base_resp": {"status_code": code, "status_msg": message}}
    if status != 200:
        body = {
            "type": "error",
            "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message},
            **body,
        }
    return body
