"""A model server's malformed stream is hostile input: whatever shape it takes, the exchange ends in a
ModelError the user can read (`bad_response` for what cannot be read, `stream_cut` for a stream that ended
before its last event), never a raw KeyError or TypeError from deep inside an assembler. An event that is
not JSON, or not an object, is skipped. Served byte for byte by the fake (`Fault.raw_stream`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.errors import ModelError
from m2bridge.messages import UserTurn
from tests.fakes.minimax import Fault
from tests.support.env import m2_env, settings_for


def _sse(event: str | None, data: Any) -> str:
    body = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {body}\n\n"


def _anthropic(kind: str, **fields: Any) -> str:
    return _sse(kind, {"type": kind, **fields})


def _openai(**choice: Any) -> str:
    return _sse(None, {"id": "c", "object": "chat.completion.chunk", "model": "MiniMax-M2", **choice})


_USAGE = {"input_tokens": 1, "output_tokens": 0}
_START = _anthropic("message_start", message={"id": "m", "role": "assistant", "content": [], "usage": _USAGE})
_TEXT_BLOCK = _anthropic("content_block_start", index=0, content_block={"type": "text", "text": ""})


def _text(text: Any) -> str:
    return _anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": text})


ANTHROPIC = {
    "a block event with no index": [_START, _anthropic("content_block_start")],
    "a delta whose text is a number": [_START, _TEXT_BLOCK, _text(7)],
    "usage that is not a number": [
        _START,
        _TEXT_BLOCK,
        _text("so far"),
        _anthropic("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": "many"}),
    ],
    "a message_start whose message is a list": [_anthropic("message_start", message=[])],
    "an event that is a JSON list": [_START, _sse("content_block_delta", [1, 2, 3])],
    "an event that is not JSON": [_START, _sse("content_block_delta", "{not json")],
}

OPENAI = {
    "a choice that is not an object": [_openai(choices=["x"])],
    "choices that are not a list": [_openai(choices={"delta": {}})],
    "content that is a number": [_openai(choices=[{"index": 0, "delta": {"content": 5}}])],
    "a tool call whose function is a string": [
        _openai(choices=[{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t", "function": "f"}]}}])
    ],
    "usage that is not a number": [
        _openai(choices=[{"index": 0, "delta": {"content": "so far"}}]),
        _openai(
            choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}],
            usage={"prompt_tokens": "x", "completion_tokens": 1},
        ),
        "data: [DONE]\n\n",
    ],
}


async def _exchange_with(tmp_path: Any, fake: Any, mode: str, frames: list[str]) -> ModelError:
    fake.responder = lambda request: Fault.raw_stream(*frames)  # every retry gets the same answer
    async with ModelClient(settings_for(m2_env(tmp_path, fake, mode))) as client:
        exchange = client.exchange(ModelRequest(system="s", turns=[UserTurn(text="hi")]))
        with pytest.raises(ModelError) as caught:  # anything else fails the test with its traceback
            async for _ in exchange.batches():
                pass
    return caught.value


def _readable(error: ModelError) -> None:
    if error.code == "bad_response":
        assert error.message.startswith("The model server sent an answer m2bridge cannot read"), error.message
    else:
        assert error.code == "stream_cut", (error.code, error.message)


@pytest.mark.parametrize("frames", ANTHROPIC.values(), ids=ANTHROPIC.keys())
async def test_a_malformed_anthropic_stream_ends_in_an_error_the_user_can_read(
    tmp_path, fake_minimax, frames
):
    _readable(await _exchange_with(tmp_path, fake_minimax, "anthropic", frames))


@pytest.mark.parametrize("frames", OPENAI.values(), ids=OPENAI.keys())
async def test_a_malformed_openai_stream_ends_in_an_error_the_user_can_read(tmp_path, fake_minimax, frames):
    _readable(await _exchange_with(tmp_path, fake_minimax, "openai-think-tags", frames))


async def test_a_field_missing_mid_answer_is_a_bad_response_not_a_crash(tmp_path, fake_minimax):
    frames = ANTHROPIC["a block event with no index"]
    error = await _exchange_with(tmp_path, fake_minimax, "anthropic", frames)
    assert error.code == "bad_response" and "KeyError" in error.message
