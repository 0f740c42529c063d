"""The Anthropic request body: sampling fields, and history from either protocol."""

import pytest

from m2bridge.client.anthropic import AnthropicWire
from m2bridge.client.request import ModelRequest
from m2bridge.config import load_settings
from m2bridge.messages import (
    AssistantTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    UserTurn,
)

SELF_HOSTED = {"M2BRIDGE_BASE_URL": "http://127.0.0.1:8000", "M2BRIDGE_API": "anthropic"}
HOSTED = {"M2BRIDGE_API": "anthropic"}


def wire(tmp_path, **env):
    return AnthropicWire(load_settings({"M2BRIDGE_CONFIG": str(tmp_path / "config.toml"), **env}))


def body(tmp_path, request, env):
    return wire(tmp_path, **env).body(request, stream=True)


def test_sampling_defaults_are_minimaxs_recommendation_with_top_k_for_a_self_hosted_server(tmp_path):
    sent = body(tmp_path, ModelRequest(system="", turns=[UserTurn(text="hi")]), SELF_HOSTED)
    assert (sent["temperature"], sent["top_p"], sent["top_k"]) == (1.0, 0.95, 40)


def test_a_requests_top_k_reaches_a_self_hosted_server(tmp_path):
    sent = body(tmp_path, ModelRequest(system="", turns=[UserTurn(text="hi")], top_k=7), SELF_HOSTED)
    assert sent["top_k"] == 7


def test_top_k_is_left_out_on_minimax_hosts_which_document_it_as_ignored(tmp_path):
    sent = body(tmp_path, ModelRequest(system="", turns=[UserTurn(text="hi")], top_k=7), HOSTED)
    assert "top_k" not in sent and sent["top_p"] == 0.95


def test_a_request_without_top_k_leaves_it_to_the_server(tmp_path):
    sent = body(tmp_path, ModelRequest(system="", turns=[UserTurn(text="hi")], top_k=None), SELF_HOSTED)
    assert "top_k" not in sent


THINKING = "  I will read it.\n\tcafé < b && c  \n"


def openai_turn(thinking=THINKING, text="Reading.", calls=True):
    blocks = [ThinkingBlock(text=thinking)] if thinking is not None else []
    blocks += [TextBlock(text=text)] if text else []
    blocks += [ToolCall(id="call_1", name="read_file", arguments={"path": "a.py"})] if calls else []
    return AssistantTurn(
        protocol="openai",
        model="MiniMax-M2",
        blocks=blocks,
        provider_message={"role": "assistant", "content": text, "reasoning_details": [{"text": thinking}]},
    )


def rendered(tmp_path, *turns):
    request = ModelRequest(system="", turns=[UserTurn(text="go"), *turns])
    return body(tmp_path, request, HOSTED)["messages"]


def test_an_openai_turns_thinking_goes_to_anthropic_as_think_text_before_its_text(tmp_path):
    results = ToolResultsTurn(results=[ToolResult(tool_call_id="call_1", name="read_file", content="x")])
    messages = rendered(tmp_path, openai_turn(), results)
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": f"<think>\n{THINKING}\n</think>\n\nReading."},
            {"type": "tool_use", "id": "call_1", "name": "read_file", "input": {"path": "a.py"}},
        ],
    }


@pytest.mark.parametrize(
    ("turn", "content"),
    [
        (openai_turn(text="", calls=False), [{"type": "text", "text": f"<think>\n{THINKING}\n</think>\n\n"}]),
        (openai_turn(thinking=None, calls=False), [{"type": "text", "text": "Reading."}]),
        (
            openai_turn(thinking="", calls=False),
            [{"type": "text", "text": "<think>\n\n</think>\n\nReading."}],
        ),
    ],
    ids=["thinking only", "no thinking", "empty thinking"],
)
def test_an_openai_turn_without_text_or_thinking_still_converts(tmp_path, turn, content):
    assert rendered(tmp_path, turn)[1]["content"] == content


def test_an_anthropic_turn_goes_back_as_its_provider_message_value_identical(tmp_path):
    message = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": THINKING, "signature": "c2lnbmVk"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Done."},
        ],
    }
    turn = AssistantTurn(
        protocol="anthropic",
        model="MiniMax-M2",
        blocks=[ThinkingBlock(text=THINKING), TextBlock(text="Done.")],  # no signature here on purpose
        provider_message=message,
    )
    assert rendered(tmp_path, turn)[1] == message
