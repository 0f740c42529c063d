"""The turn result's one schema and its two encoders: the same fields under two casings."""

from __future__ import annotations

from typing import Any

from m2bridge.agent import TurnResult
from m2bridge.agent.events import Compaction
from m2bridge.conversation import TURN_FIELDS, camel_case, recased, turn_to_camel, turn_to_snake
from m2bridge.errors import ModelError
from m2bridge.messages import Usage


def full_result() -> TurnResult:
    return TurnResult(
        session_id="s1",
        text="done",
        stop_reason="error",
        incomplete=True,
        steps=3,
        usage=Usage(input_tokens=10, output_tokens=5),
        context_tokens=15,
        tool_calls=[("read_file", True), ("run_command", False)],
        error=ModelError("server down", code="server_error", trace_id="t-1"),
        compactions=[Compaction("summarised", "threshold", 900, 300, True)],
    )


def keys(value: Any) -> Any:
    """The shape of a JSON value: its keys, nested, with the values left out."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(v) for v in value]
    return None


def test_the_snake_and_camel_encoders_carry_the_same_fields() -> None:
    snake, camel = turn_to_snake(full_result()), turn_to_camel(full_result())
    assert recased(snake, camel_case) == camel
    assert list(snake) == [f.name for f in TURN_FIELDS]


def test_the_snake_encoder_gives_the_chat_json_contract() -> None:
    assert keys(turn_to_snake(full_result())) == {
        "session_id": None,
        "text": None,
        "stop_reason": None,
        "incomplete": None,
        "steps": None,
        "usage": {"input_tokens": None, "output_tokens": None},
        "context_tokens": None,
        "tool_calls": [{"name": None, "ok": None}, {"name": None, "ok": None}],
        "error": {"code": None, "message": None, "trace_id": None},
        "compactions": [
            {"trigger": None, "before_tokens": None, "after_tokens": None, "ok": None, "reason": None}
        ],
    }
    assert turn_to_snake(full_result())["error"] == {
        "code": "server_error",
        "message": "server down",
        "trace_id": "t-1",
    }


def test_the_camel_encoder_keeps_every_field_m2_chat_sent() -> None:
    camel = turn_to_camel(full_result())
    assert camel["sessionId"] == "s1" and camel["stopReason"] == "error" and camel["text"] == "done"
    assert camel["usage"] == {"inputTokens": 10, "outputTokens": 5}
    assert camel["contextTokens"] == 15 and camel["incomplete"] is True
    assert camel["toolCalls"] == [{"name": "read_file", "ok": True}, {"name": "run_command", "ok": False}]
    assert camel["error"] == {"code": "server_error", "message": "server down", "traceId": "t-1"}
    assert camel["compactions"][0]["beforeTokens"] == 900


def test_a_turn_that_kept_no_session_encodes_its_id_as_null() -> None:
    result = TurnResult(session_id="", stop_reason="error")
    assert turn_to_snake(result)["session_id"] is None and turn_to_camel(result)["sessionId"] is None


def test_recasing_leaves_what_the_model_wrote_as_written() -> None:
    shown = {"tool_call_id": "c1", "arguments": {"old_string": "a", "new_string": "b"}}
    assert recased(shown, camel_case, {"arguments"}) == {
        "toolCallId": "c1",
        "arguments": {"old_string": "a", "new_string": "b"},
    }
