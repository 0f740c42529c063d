"""Request bodies built from each turn's stored JSON: the same messages as rendering afresh, every turn
serialised once per client, and user content joined by each protocol's rule."""

import json
from collections.abc import Callable

import pytest

from m2bridge.client import anthropic, openai
from m2bridge.client.anthropic import AnthropicWire
from m2bridge.client.openai import OpenAIWire
from m2bridge.client.rendered import TURNS_BYTES, Rendered, RenderedCache
from m2bridge.client.request import ModelRequest, context_text, summary_text
from m2bridge.config import Settings
from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    ContextTurn,
    TextBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    Turn,
    UserTurn,
)
from m2bridge.tools import ToolSpec

ASKED = 'fix "it" é 😀 \\ </script>\u2028'
CALL = ToolCall(id="c1", name="read_file", arguments={"path": "a.py"})
ANTHROPIC_ANSWER = {
    "role": "assistant",
    "content": [
        {"type": "text", "text": "calling"},
        {"type": "tool_use", "id": "c1", "name": "read_file", "input": {"path": "a.py"}},
    ],
}
OPENAI_ANSWER = {
    "role": "assistant",
    "content": "calling",
    "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}}
    ],
}


def history(protocol: str) -> list[Turn]:
    answer = ANTHROPIC_ANSWER if protocol == "anthropic" else OPENAI_ANSWER
    return [
        CompactionTurn(summary="earlier é", replaces_before=0),
        ContextTurn(source="editor", text="file a.py"),
        UserTurn(text=ASKED),
        ToolResultsTurn(results=[]),  # adds nothing, and does not split the user message
        AssistantTurn(
            protocol=protocol, model="M", blocks=[TextBlock(text="calling"), CALL], provider_message=answer
        ),
        ToolResultsTurn(results=[ToolResult(tool_call_id="c1", name="read_file", content="x = 1\n")]),
        AssistantTurn(
            protocol=protocol,
            model="M",
            blocks=[TextBlock(text="cut")],
            provider_message={"role": "assistant", "content": "cut"},
            incomplete=True,
        ),
        UserTurn(text="again"),
    ]


def test_anthropic_messages_join_consecutive_user_content_and_leave_out_an_incomplete_answer():
    body = AnthropicWire(Settings(api="anthropic", api_key="x")).body(
        ModelRequest(system="s", turns=history("anthropic")), stream=True
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": summary_text("earlier é")},
                {"type": "text", "text": context_text("editor", "file a.py")},
                {"type": "text", "text": ASKED},
            ],
        },
        ANTHROPIC_ANSWER,
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "x = 1\n"},
                {"type": "text", "text": "again"},
            ],
        },
    ]
    assert body["system"] == "s" and body["stream"] is True


def test_openai_messages_join_consecutive_user_texts_with_a_blank_line_and_leave_out_an_incomplete_answer():
    body = OpenAIWire(Settings(api="openai", api_key="x")).body(
        ModelRequest(system="s", turns=history("openai")), stream=True
    )
    joined = f"{summary_text('earlier é')}\n\n{context_text('editor', 'file a.py')}\n\n{ASKED}"
    assert body["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": joined},
        OPENAI_ANSWER,
        {"role": "tool", "tool_call_id": "c1", "content": "x = 1\n"},
        {"role": "user", "content": "again"},
    ]


def counted(render: Callable[[Turn], Rendered], seen: list[Turn]) -> Callable[[Turn], Rendered]:
    def count(turn: Turn) -> Rendered:
        seen.append(turn)
        return render(turn)

    return count


@pytest.mark.parametrize("module", [anthropic, openai], ids=["anthropic", "openai"])
def test_each_turn_is_serialised_once_and_the_messages_match_a_fresh_rendering(module):
    protocol = module.__name__.rsplit(".", 1)[-1]
    turns = history(protocol)
    seen: list[Turn] = []
    cache = RenderedCache(counted(module.rendered_turn, seen), TURNS_BYTES)

    def messages(turns: list[Turn], *with_cache: RenderedCache[Turn]) -> list[bytes]:
        if module is anthropic:
            return anthropic.rendered_messages(turns, *with_cache)
        return openai.rendered_messages("s", turns, *with_cache)

    assert messages(turns, cache) == messages(turns) == messages(turns, cache)
    longer = [*turns, UserTurn(text="one more"), ContextTurn(source="editor", text="b.py")]
    assert messages(longer, cache) == messages(longer)
    assert [id(t) for t in seen] == [id(t) for t in longer]  # every turn once, in order
    assert all(json.loads(m) for m in messages(longer, cache))


def test_the_least_recently_used_turns_leave_a_full_cache_and_render_again_when_needed():
    seen: list[Turn] = []
    cache = RenderedCache(counted(anthropic.rendered_turn, seen), max_bytes=200)
    turns = [UserTurn(text=f"turn {i} " + "x" * 40) for i in range(10)]
    first = [cache(t) for t in turns]
    assert 1 <= len(cache) < len(turns)
    assert [cache(t) for t in turns] == first  # evicted turns are rendered again, the same
    assert len(seen) > len(turns)


SPEC = ToolSpec(
    name="read_file",
    description="Reads é.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


def test_tools_are_defined_in_each_protocols_shape_the_same_on_every_request():
    request = ModelRequest(system="s", turns=[UserTurn(text="hi")], tools=[SPEC, SPEC])
    schema = dict(SPEC.input_schema)
    anthropic_wire = AnthropicWire(Settings(api="anthropic", api_key="x"))
    openai_wire = OpenAIWire(Settings(api="openai", api_key="x"))
    for _ in range(2):
        assert anthropic_wire.body(request, stream=True)["tools"] == 2 * [
            {"name": "read_file", "description": "Reads é.", "input_schema": schema}
        ]
        assert openai_wire.body(request, stream=True)["tools"] == 2 * [
            {
                "type": "function",
                "function": {"name": "read_file", "description": "Reads é.", "parameters": schema},
            }
        ]
    assert "tools" not in anthropic_wire.body(ModelRequest(system="", turns=request.turns), stream=True)
    assert "tools" not in openai_wire.body(ModelRequest(system="", turns=request.turns), stream=True)
