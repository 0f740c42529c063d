"""The fake MiniMax API: a correct client passes, and every way of mangling history is caught."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.minimax import CallTools, FakeMiniMax, Fault, Reply, RequestInfo
from tests.fakes.reference_client import Client, anthropic_message_from_events, parse_sse

# (protocol, openai_thinking, reasoning_split)
MODES = {
    "anthropic": ("anthropic", "think_tags", False),
    "openai-reasoning-split": ("openai", "think_tags", True),
    "openai-think-tags": ("openai", "think_tags", False),
    "openai-reasoning-content": ("openai", "reasoning_content", False),
    "openai-native": ("openai", "native", False),
    "openai-vllm-reasoning": ("openai", "reasoning", False),
    "openai-vllm-0.15": ("openai", "reasoning_both", False),
    "openai-sglang": ("openai", "sglang", False),
    "openai-open-think": ("openai", "open_think", False),
    "openai-native-unclosed": ("openai", "native_unclosed", False),
}
LOOP_CASES = [
    pytest.param(mode, stream, style, id=f"{mode}-{'stream-' + style if stream else 'json'}")
    for mode in MODES
    for stream, style in [(False, "incremental"), (True, "incremental"), (True, "cumulative")]
    if not (mode == "anthropic" and style == "cumulative")
]
FIRST_CALLS = [("read_file", {"path": "src/app.py"}), ("grep", {"pattern": '<T> & "x"', "max": 3, "i": True})]
USER = {"role": "user", "content": "Fix the failing test."}


_open_clients: list[Client] = []


@pytest.fixture
def fake() -> Iterator[FakeMiniMax]:
    with FakeMiniMax() as fake:
        yield fake
    while _open_clients:
        _open_clients.pop().close()


def client_for(fake: FakeMiniMax, mode: str, stream: bool = False) -> Client:
    protocol, thinking, split = MODES[mode]
    fake.openai_thinking = thinking  # type: ignore[assignment]
    client = Client(fake, protocol, stream, reasoning_split=split)
    _open_clients.append(client)
    return client


def first_turn(fake: FakeMiniMax, client: Client, step: CallTools | Reply | None = None) -> dict[str, Any]:
    fake.script(step or CallTools(FIRST_CALLS), Reply("done"))
    return client.turn([USER])


def rejection(fake: FakeMiniMax, client: Client, messages: list[dict[str, Any]]) -> str:
    """Send `messages`, expect the history check to refuse them, and hand back the violation text."""
    response = client.post(client.body(messages))
    assert response.status_code == 400, response.text
    assert "fake history check" in response.text
    assert fake.violations, "a 400 must always be recorded as a violation"
    found = "\n".join(fake.violations)
    fake.violations.clear()
    return found


# --- a correct client ------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "stream", "style"), LOOP_CASES)
def test_a_correct_client_passes_a_three_step_tool_loop(
    fake: FakeMiniMax, mode: str, stream: bool, style: str
) -> None:
    fake.stream_style = style  # type: ignore[assignment]
    fake.chunk_size = 5
    client = client_for(fake, mode, stream)
    fake.script(
        CallTools(FIRST_CALLS),
        CallTools([("write_file", {"path": "a.txt", "content": 'one\n  two "q" \\'})], text="Writing it."),
        Reply("All fixed — ✓"),
    )
    messages: list[dict[str, Any]] = [USER]
    for _ in range(2):
        assistant = client.turn(messages)
        messages += [assistant, *client.results_for(assistant)]
    final = client.turn(messages)

    assert fake.violations == []
    assert final == fake.turns[-1].canonical
    assert "All fixed — ✓" in json.dumps(final, ensure_ascii=False)
    assert [t.parent for t in fake.turns] == [None, "t1", "t2"]
    assert fake.pending == 0


def test_custom_thinking_without_a_marker_is_matched_by_value(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-reasoning-content")
    assistant = first_turn(fake, client, Reply("hi", thinking="short"))
    response = client.post(client.body([USER, assistant, {"role": "user", "content": "again"}]))
    assert response.status_code == 200
    assert assistant["reasoning_content"] == "short"


def test_extra_keys_with_null_values_are_tolerated(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags")
    assistant = first_turn(fake, client)
    assistant |= {"refusal": None, "name": None}
    response = client.post(client.body([USER, assistant, *client.results_for(assistant)]))
    assert response.status_code == 200, response.text


# --- the history check catches each attack ---------------------------------------------------


def test_a_dropped_thinking_block_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    assistant = first_turn(fake, client)
    results = client.results_for(assistant)
    assistant["content"] = assistant["content"][1:]
    assert "messages[1].content[0].type" in rejection(fake, client, [USER, assistant, *results])


def test_an_altered_signature_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic", stream=True)
    assistant = first_turn(fake, client)
    signature = assistant["content"][0]["signature"]
    assistant["content"][0]["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
    found = rejection(fake, client, [USER, assistant, *client.results_for(assistant)])
    assert "content[0].signature differs at char 0" in found


def test_a_whitespace_change_inside_think_tags_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags", stream=True)
    assistant = first_turn(fake, client)
    assert assistant["content"].startswith("<think>\n  [turn t1]")
    results = client.results_for(assistant)
    assistant["content"] = assistant["content"].replace("spaces   \n", "spaces\n")
    found = rejection(fake, client, [USER, assistant, *results])
    assert "messages[1].content differs at char" in found


def test_stripped_thinking_is_caught_even_without_tool_calls(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    assistant = first_turn(fake, client, Reply("hello"))
    assistant["content"][0]["thinking"] = assistant["content"][0]["thinking"].strip()
    found = rejection(fake, client, [USER, assistant, {"role": "user", "content": "more"}])
    assert "thinking differs at char 0" in found


def test_missing_reasoning_details_are_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-reasoning-split", stream=True)
    assistant = first_turn(fake, client)
    del assistant["reasoning_details"]
    found = rejection(fake, client, [USER, assistant, *client.results_for(assistant)])
    assert "reasoning_details is missing" in found


def test_dropped_reasoning_content_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-reasoning-content")
    assistant = first_turn(fake, client)
    del assistant["reasoning_content"]
    found = rejection(fake, client, [USER, assistant, *client.results_for(assistant)])
    assert "reasoning_content is missing" in found


def _as_openai(message: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic turn as a protocol switch sends it on OpenAI: thinking as `<think>` text."""
    blocks = message["content"]
    thinking = "".join(b["thinking"] for b in blocks if b["type"] == "thinking")
    text = "".join(b["text"] for b in blocks if b["type"] == "text")
    calls = [
        {
            "id": b["id"],
            "type": "function",
            "function": {"name": b["name"], "arguments": json.dumps(b["input"])},
        }
        for b in blocks
        if b["type"] == "tool_use"
    ]
    return {"role": "assistant", "content": f"<think>\n{thinking}\n</think>\n\n{text}", "tool_calls": calls}


def _as_anthropic(message: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI turn as a protocol switch sends it on Anthropic: unsigned thinking as `<think>` text."""
    thinking = message["reasoning_details"][0]["text"]
    text = f"<think>\n{thinking}\n</think>\n\n{message.get('content') or ''}"
    calls = [
        {
            "type": "tool_use",
            "id": c["id"],
            "name": c["function"]["name"],
            "input": json.loads(c["function"]["arguments"]),
        }
        for c in message["tool_calls"]
    ]
    return {"role": "assistant", "content": [{"type": "text", "text": text}, *calls]}


@pytest.mark.parametrize(
    ("first", "then"), [("anthropic", "openai-think-tags"), ("openai-reasoning-split", "anthropic")]
)
def test_a_turn_converted_to_the_other_protocol_must_carry_its_thinking_as_think_text(
    fake: FakeMiniMax, first: str, then: str
) -> None:
    fake.accept_converted = True
    earlier = client_for(fake, first)
    assistant = first_turn(fake, earlier)
    convert = _as_openai if first == "anthropic" else _as_anthropic
    converted = convert(assistant)
    later = client_for(fake, then)
    fake.script(Reply("next"))
    later.turn([USER, converted, *later.results_for(converted)])
    assert not fake.violations

    def with_text(new: str) -> dict[str, Any]:
        if then == "anthropic":
            return converted | {"content": [{"type": "text", "text": new}, *converted["content"][1:]]}
        return converted | {"content": new}

    old_text = converted["content"][0]["text"] if then == "anthropic" else converted["content"]
    dropped = with_text(old_text.split("</think>\n\n", 1)[1])
    assert "never sent" in rejection(fake, later, [USER, dropped, *later.results_for(dropped)])
    for altered_text in (
        old_text.replace("<think>\n", "<think>\n ", 1),
        old_text.replace("\n</think>", "</think>", 1),
    ):
        altered = with_text(altered_text)
        assert "never sent" in rejection(fake, later, [USER, altered, *later.results_for(altered)])


@pytest.mark.parametrize(
    ("mode", "field"),
    [
        ("openai-vllm-reasoning", "reasoning"),
        ("openai-vllm-0.15", "reasoning"),
        ("openai-vllm-0.15", "reasoning_content"),
        ("openai-sglang", "reasoning_content"),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_separate_thinking_field_left_out_or_altered_is_caught(
    fake: FakeMiniMax, mode: str, field: str, stream: bool
) -> None:
    client = client_for(fake, mode, stream)
    assistant = first_turn(fake, client)
    results = client.results_for(assistant)
    dropped = {k: v for k, v in assistant.items() if k != field}
    assert f"{field} is missing" in rejection(fake, client, [USER, dropped, *results])
    altered = assistant | {field: assistant[field].rstrip()}
    assert f"messages[1].{field} differs" in rejection(fake, client, [USER, altered, *results])


@pytest.mark.parametrize("mode", ["openai-open-think", "openai-native", "openai-native-unclosed"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_thinking_without_an_opening_tag_left_out_or_altered_is_caught(
    fake: FakeMiniMax, mode: str, stream: bool
) -> None:
    client = client_for(fake, mode, stream)
    assistant = first_turn(fake, client)
    assert not assistant["content"].startswith("<think>") and "[turn t1]" in assistant["content"]
    assert ("</think>" in assistant["content"]) == (mode != "openai-native-unclosed")
    results = client.results_for(assistant)
    # What a client that took the untagged thinking for a stray answer and dropped it would send.
    start = assistant["content"].find("<minimax:tool_call>")
    dropped = assistant | {"content": assistant["content"][start:] if start >= 0 else ""}
    assert "messages[1]" in rejection(fake, client, [USER, dropped, *results])
    altered = assistant | {"content": assistant["content"].replace("Let me", "Let us")}
    assert "messages[1].content differs" in rejection(fake, client, [USER, altered, *results])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_thinking_cut_at_max_tokens_comes_with_finish_reason_length_and_must_go_back(
    fake: FakeMiniMax, stream: bool
) -> None:
    client = client_for(fake, "openai-native", stream)
    fake.openai_thinking = "thinking_cut"
    fake.script(CallTools(FIRST_CALLS), Reply("done"))
    response = client.post(client.body([USER]))
    assert '"finish_reason": "length"' in response.text.replace('":"', '": "')
    assistant = client.message_from(response)
    assert assistant == {"role": "assistant", "content": fake.turns[0].canonical["content"]}
    assert "</think>" not in assistant["content"] and "tool_call" not in assistant["content"]
    following = {"role": "user", "content": "go on"}
    assert "never sent" in rejection(fake, client, [USER, {**assistant, "content": "x"}, following])
    assert client.post(client.body([USER, assistant, following])).status_code == 200


def test_vllm_and_sglang_nulls_are_in_the_json_but_not_in_what_must_go_back(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-vllm-reasoning")
    fake.script(CallTools([("f", {})], text=""), Reply("hi"))
    message = client.post(client.body([USER])).json()["choices"][0]["message"]
    assert message["content"] is None and message["tool_calls"]
    message = client.post(client.body([{"role": "user", "content": "x"}])).json()["choices"][0]["message"]
    assert message["tool_calls"] == [] and message["content"] == "hi"
    client = client_for(fake, "openai-sglang", stream=True)
    fake.script(Reply("hi"))
    events = parse_sse(client.post(client.body([USER])).text)
    frames = [json.loads(e.data) for e in events if e.data.startswith("{")]
    deltas = [f["choices"][0]["delta"] for f in frames if f["choices"]]
    assert any(d.get("content") is None and "reasoning_content" in d for d in deltas)
    assert fake.violations == []


def test_top_k_that_vllm_would_refuse_is_a_violation(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-vllm-reasoning")
    response = client.post(client.body([USER]) | {"top_k": 0})
    assert response.status_code == 400 and "top_k must be a positive integer" in response.text
    fake.violations.clear()
    fake.script(Reply("ok"))
    assert client.post(client.body([USER]) | {"top_k": 40}).status_code == 200


def test_reserialized_tool_arguments_are_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags")
    assistant = first_turn(fake, client, CallTools([("f", {"a": 1})]))
    function = assistant["tool_calls"][0]["function"]
    assert function["arguments"] == '{"a": 1}'
    function["arguments"] = json.dumps(json.loads(function["arguments"]), separators=(",", ":"))
    found = rejection(fake, client, [USER, assistant, *client.results_for(assistant)])
    assert "tool_calls[0].function.arguments differs" in found


def test_an_extra_key_in_an_echoed_tool_call_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags", stream=True)
    assistant = first_turn(fake, client)
    assistant["tool_calls"][0]["index"] = 0
    found = rejection(fake, client, [USER, assistant, *client.results_for(assistant)])
    assert "tool_calls[0].index is an extra key" in found


@pytest.mark.parametrize("mode", ["anthropic", "openai-reasoning-split"])
def test_a_tool_result_id_mismatch_is_caught(fake: FakeMiniMax, mode: str) -> None:
    client = client_for(fake, mode)
    assistant = first_turn(fake, client)
    results = copy.deepcopy(client.results_for(assistant))
    if mode == "anthropic":
        results[0]["content"][0]["tool_use_id"] = "toolu_forged"
    else:
        results[0]["tool_call_id"] = "call_forged"
    assert "tool results answer" in rejection(fake, client, [USER, assistant, *results])


def test_native_markup_needs_one_tool_result_per_invoke(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-native")
    assistant = first_turn(fake, client)
    assert "tool_calls" not in assistant
    assert assistant["content"].count("<invoke ") == 2
    results = client.results_for(assistant)[:1]
    assert "1 tool results for 2 native tool calls" in rejection(fake, client, [USER, assistant, *results])


def test_an_invented_assistant_message_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags")
    fake.script(Reply("unused"))
    invented = {"role": "assistant", "content": "I never said this."}
    found = rejection(fake, client, [USER, invented, {"role": "user", "content": "go on"}])
    assert "never sent (altered or invented)" in found
    assert fake.pending == 1, "a refused request must not consume a scripted step"


def tool_history(fake: FakeMiniMax, client: Client, turns: int) -> list[dict[str, Any]]:
    """USER, then `turns` tool-calling turns (t1, t2, ...) each followed by its results."""
    fake.script(*(CallTools([(f"tool{n}", {"n": n})]) for n in range(turns)))
    history: list[dict[str, Any]] = [USER]
    for _ in range(turns):
        assistant = client.turn(history)
        history += [assistant, *client.results_for(assistant)]
    return history


@pytest.mark.parametrize("mode", ["anthropic", "openai-think-tags"])
def test_a_dropped_middle_turn_is_caught_without_compaction(fake: FakeMiniMax, mode: str) -> None:
    client = client_for(fake, mode)
    history = tool_history(fake, client, turns=2)
    gapped = [history[0], *history[3:]]
    found = rejection(fake, client, gapped)
    assert "not the unbroken chain leading to turn t2" in found
    assert "expected turns ['t1', 't2'], got ['t2']" in found


@pytest.mark.parametrize("mode", ["anthropic", "openai-think-tags"])
def test_the_same_gap_is_allowed_behind_a_conversation_summary(fake: FakeMiniMax, mode: str) -> None:
    client = client_for(fake, mode)
    history = tool_history(fake, client, turns=2)
    summary = {"role": "user", "content": "<conversation-summary>Read a.</conversation-summary>"}
    fake.script(Reply("done"))
    response = client.post(client.body([summary, *history[3:]]))
    assert response.status_code == 200, response.text
    assert fake.turns[-1].parent == "t2"


def test_a_gap_after_the_summary_is_still_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    history = tool_history(fake, client, turns=3)
    summary = {"role": "user", "content": [{"type": "text", "text": "<conversation-summary>x"}]}
    gapped = [summary, *history[1:3], *history[5:]]
    found = rejection(fake, client, gapped)
    assert "after the conversation summary" in found
    assert "got ['t1', 't3']" in found


def test_reordered_turns_are_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-reasoning-content")
    history = tool_history(fake, client, turns=2)
    swapped = [history[0], *history[3:], *history[1:3]]
    assert "not the unbroken chain" in rejection(fake, client, swapped)


def test_an_incomplete_turn_sent_back_is_caught(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic", stream=True)
    fake.script(Fault.cut_stream(5, CallTools([("a", {})])), Reply("unused"))
    received, error = client.read_until_cut(client.body([USER]))
    assert isinstance(error, httpx.RemoteProtocolError)
    partial = anthropic_message_from_events(parse_sse(received))
    assert "[turn t1]" in partial["content"][0]["thinking"]
    found = rejection(fake, client, [USER, partial, {"role": "user", "content": "continue"}])
    assert "turn t1 was cut off mid-stream" in found


def test_a_wrong_api_key_gets_2049(fake: FakeMiniMax) -> None:
    for mode in ("anthropic", "openai-think-tags"):
        client = client_for(fake, mode)
        response = client.post(client.body([USER]), key="wrong-key")
        assert response.status_code == 401
        assert response.json()["base_resp"]["status_code"] == 2049
    assert fake.violations == []
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("mode", "change"),
    [
        ("anthropic", {"temperature": 0}),
        ("anthropic", {"max_tokens": None}),
        ("openai-think-tags", {"n": 2}),
        ("openai-think-tags", {"functions": []}),
    ],
)
def test_requests_the_api_would_refuse_are_violations(
    fake: FakeMiniMax, mode: str, change: dict[str, Any]
) -> None:
    client = client_for(fake, mode)
    body = client.body([USER])
    body |= change
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(body)
    assert response.status_code == 400
    assert len(fake.violations) == 1
    fake.violations.clear()


def test_image_blocks_are_refused(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}
    found = rejection(fake, client, [{"role": "user", "content": [image]}])
    assert "image content is not supported" in found


# --- scripting and faults --------------------------------------------------------------------


def test_an_unscripted_request_is_a_violation_and_a_500(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    assert client.post(client.body([USER])).status_code == 500
    assert fake.violations == ["anthropic request #1: unscripted request (the script queue is empty)"]
    fake.violations.clear()


def test_the_responder_answers_once_the_queue_is_empty(fake: FakeMiniMax) -> None:
    seen: list[RequestInfo] = []
    fake.responder = lambda info: seen.append(info) or Reply(f"echo {len(seen)}")
    fake.script(Reply("scripted"))
    client = client_for(fake, "openai-reasoning-split")
    texts = [client.turn([USER])["content"] for _ in range(3)]
    assert texts == ["scripted", "echo 1", "echo 2"]
    assert seen[0].protocol == "openai" and seen[0].body["reasoning_split"] is True


def test_every_response_carries_a_unique_trace_id_and_usage(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    fake.script(Reply("a"), Reply("b"))
    body = client.body([USER])
    first, second = client.post(body), client.post(body)
    assert first.headers["trace-id"] != second.headers["trace-id"]
    usage = first.json()["usage"]
    assert usage["input_tokens"] == len(json.dumps(body)) // 4
    assert usage["output_tokens"] > 10


@pytest.mark.parametrize("mode", ["anthropic", "openai-think-tags"])
def test_rate_limited_answers_429_with_retry_after(fake: FakeMiniMax, mode: str) -> None:
    client = client_for(fake, mode)
    fake.script(Fault.rate_limited(retry_after=0.5), Reply("after the wait"))
    limited = client.post(client.body([USER]))
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "0.5"
    assert limited.json()["base_resp"]["status_code"] == 1002
    assert client.turn([USER])["role"] == "assistant"


def test_server_error_answers_500(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-think-tags")
    fake.script(Fault.server_error())
    assert client.post(client.body([USER])).status_code == 500
    assert fake.violations == []


def test_api_error_defaults_to_http_200_with_base_resp(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    fake.script(Fault.api_error(1008, "insufficient balance"), Fault.api_error(1004, "bad auth", 403))
    quiet = client.post(client.body([USER]))
    assert quiet.status_code == 200
    assert quiet.json() == {"base_resp": {"status_code": 1008, "status_msg": "insufficient balance"}}
    loud = client.post(client.body([USER]))
    assert loud.status_code == 403
    assert loud.json()["type"] == "error" and loud.json()["base_resp"]["status_code"] == 1004


@pytest.mark.parametrize(
    ("mode", "closing"), [("anthropic", "message_stop"), ("openai-think-tags", "[DONE]")]
)
def test_a_cut_stream_ends_without_its_closing_events(fake: FakeMiniMax, mode: str, closing: str) -> None:
    client = client_for(fake, mode, stream=True)
    fake.chunk_size = 1000
    fake.script(Fault.cut_stream(1000, Reply("never finished")))
    received, error = client.read_until_cut(client.body([USER]))
    assert isinstance(error, httpx.RemoteProtocolError)
    assert "never finished" in received
    assert closing not in received
    assert not fake.turns[-1].complete


def test_a_cut_non_stream_request_gets_no_response_at_all(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic")
    fake.script(Fault.cut_stream(3, Reply("lost")))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(client.body([USER]))


def test_slow_first_byte_delays_the_response(fake: FakeMiniMax) -> None:
    client = client_for(fake, "openai-reasoning-content", stream=True)
    fake.script(Fault.slow_first_byte(0.3, Reply("late")))
    started = time.monotonic()
    assert client.turn([USER])["content"] == "late"
    assert time.monotonic() - started >= 0.3


def test_token_delay_spaces_out_stream_chunks(fake: FakeMiniMax) -> None:
    client = client_for(fake, "anthropic", stream=True)
    fake.token_delay = 0.01
    fake.chunk_size = 100
    fake.script(Reply("x"))
    started = time.monotonic()
    client.turn([USER])
    assert time.monotonic() - started >= 0.01 * 8


def test_a_request_to_an_unknown_path_is_a_violation(fake: FakeMiniMax) -> None:
    response = httpx.post(fake.openai_base + "/v1/chat/completions", json={})
    assert response.status_code == 404
    assert response.headers["trace-id"]
    assert fake.violations == ["POST /v1/v1/chat/completions: no such endpoint on the fake"]
    fake.violations.clear()


def test_the_fake_minimax_fixture_serves_a_started_fake(fake_minimax: FakeMiniMax) -> None:
    assert fake_minimax.host.startswith("http://127.0.0.1:")
    assert fake_minimax.anthropic_base == fake_minimax.host + "/anthropic"
    assert fake_minimax.openai_base == fake_minimax.host + "/v1"
    fake_minimax.script(Reply("hi"))
    client = Client(fake_minimax, "openai", stream=False)
    assert client.turn([USER])["content"].endswith("hi")
    client.close()
