"""Tool calls rendered by MiniMax-M2's own chat template come back exactly, over any chunking of the stream.

The template (reference/minimax_m2_chat_template.jinja, byte for byte) is rendered with jinja2 the way
`transformers` renders chat templates (transformers.utils.chat_template_utils): a sandboxed environment
with trim_blocks and lstrip_blocks, the loopcontrols extension, `raise_exception`, and a `tojson` that is
`json.dumps(ensure_ascii=False)` without HTML escaping. What it writes for an assistant turn is what M2
generates; a server without a tool parser streams it as content, which m2bridge assembles and parses.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from pathlib import Path
from typing import Any

import jinja2
import jinja2.exceptions
import jinja2.ext
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from m2bridge.client.native_tools import parse_tool_calls, split_thinking
from m2bridge.client.openai import OpenAIAssembler
from m2bridge.client.sse import ServerSentEvent
from m2bridge.config import Settings
from tests.fakes.minimax.native_markup import tool_call_markup
from tests.fakes.minimax.turns import ToolCall as FakeToolCall
from tests.support.same_json import same

TEMPLATE = Path(__file__).parent / "reference" / "minimax_m2_chat_template.jinja"
TEMPLATE_SHA256 = "967ff7e387676f4b4340585da0585416532f1e6c5ee3f1ede64b2c21ef7ea001"
GENERATION_PROMPT = "]~b]ai\n<think>\n"
TURN_END = "[e~[\n"


def _tojson(
    x: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None, sort_keys: bool = False
) -> str:
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _compile() -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


CHAT_TEMPLATE = _compile()


def model_output(
    calls: list[tuple[str, dict[str, Any]]], thinking: str, content: str, schemas: dict[str, Any]
) -> str:
    """What M2 generates for this turn: the template's assistant turn after the prompt's `<think>\\n`."""
    tools = [{"type": "function", "function": {"name": n, "parameters": s}} for n, s in schemas.items()]
    assistant = {
        "role": "assistant",
        "content": content,
        "reasoning_content": thinking,
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for i, (name, arguments) in enumerate(calls)
        ],
    }
    rendered = CHAT_TEMPLATE.render(
        messages=[{"role": "user", "content": "go"}, assistant], tools=tools, add_generation_prompt=False
    )
    turn = rendered[rendered.rindex("]~b]ai\n") + len("]~b]ai\n") :]
    assert turn.endswith(TURN_END)
    turn = turn[: -len(TURN_END)]
    assert turn.startswith("<think>\n")
    return turn[len("<think>\n") :]


# The template writes string values verbatim, so a value holding a tag that opens or closes a parameter
# or an invoke reads exactly like broken markup: no parser can tell them apart. Everything else goes.
AMBIGUOUS = ("</parameter>", "<parameter", "<invoke", "</invoke>")
MARKUP_BITS = [
    "\n",
    "\n\n",
    " ",
    "<",
    ">",
    '"',
    "'",
    "&",
    "</minimax:tool_call>",
    "<minimax:tool_call>",
    "é漢🙂",
    "\\",
]
raw_text = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(MARKUP_BITS)), max_size=8).map("".join)
value_text = raw_text.filter(lambda s: not any(tag in s for tag in AMBIGUOUS))
identifiers = st.text(string.ascii_letters + "_", min_size=1, max_size=3).flatmap(
    lambda head: st.text(string.ascii_letters + string.digits + "_-", max_size=10).map(
        lambda tail: head + tail
    )
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | value_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(value_text, inner, max_size=3),
    max_leaves=8,
).filter(lambda v: not any(tag in json.dumps(v, ensure_ascii=False) for tag in AMBIGUOUS))
VALUES_BY_SCHEMA: list[tuple[dict[str, Any], st.SearchStrategy[Any]]] = [
    ({"type": "string"}, value_text),
    ({}, value_text),  # no type: a string
    ({"type": "integer"}, st.integers()),
    ({"type": "number"}, st.one_of(st.integers(), finite_floats)),
    ({"type": "boolean"}, st.booleans()),
    ({"type": "array"}, st.lists(json_values, max_size=3)),
    ({"type": "object"}, st.dictionaries(value_text, json_values, max_size=3)),
    ({"type": ["integer", "null"]}, st.one_of(st.none(), st.integers())),
    (
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        st.one_of(st.none(), value_text.filter(lambda s: s != "null")),
    ),
]


@st.composite
def tool_calls(draw: st.DrawFn) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Calls in order (a tool may be called more than once) and each tool's input schema."""
    names = draw(st.lists(identifiers, min_size=1, max_size=3, unique=True))
    schemas: dict[str, Any] = {}
    kinds: dict[str, dict[str, int]] = {}
    for name in names:
        params = draw(st.dictionaries(identifiers, st.integers(0, len(VALUES_BY_SCHEMA) - 1), max_size=5))
        kinds[name] = params
        properties = {key: VALUES_BY_SCHEMA[index][0] for key, index in params.items()}
        schemas[name] = {"type": "object", "properties": properties}
    calls = []
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        arguments = {key: draw(VALUES_BY_SCHEMA[index][1]) for key, index in kinds[name].items()}
        calls.append((name, arguments))
    return calls, schemas


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a]


def sse(delta: dict[str, Any] | None = None, *, finish: str | None = None) -> ServerSentEvent:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}}
    if finish:
        choice["finish_reason"] = finish
    return ServerSentEvent(event="message", data=json.dumps({"choices": [choice]}))


prose = raw_text.filter(
    lambda s: "<think>" not in s and "</think>" not in s and "<minimax:tool_call>" not in s
)
thoughts = prose.filter(lambda s: s.strip("\n") == s and s.strip() != "")


@settings(max_examples=150, deadline=None)
@given(tool_calls(), thoughts, prose, st.lists(st.integers(0, 4000), max_size=12))
def test_calls_rendered_by_the_chat_template_parse_back_exactly_over_any_chunking(
    generated: tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]],
    thinking: str,
    content: str,
    cuts: list[int],
) -> None:
    calls, schemas = generated
    output = model_output(calls, thinking, content, schemas)

    # Streamed from a server without tool or reasoning parser: content chunks, cut anywhere.
    assembler = OpenAIAssembler(
        Settings(api="openai", api_key="x"), "MiniMax-M2", schemas, expect_think_tags=True
    )
    for piece in chunked(output, cuts):
        assembler.feed_sse(sse({"content": piece}))
    assembler.feed_sse(sse(finish="stop"))
    assembler.feed_sse(ServerSentEvent(event="message", data="[DONE]"))
    turn = assembler.turn(incomplete=False)

    assert [c.name for c in turn.tool_calls] == [name for name, _ in calls]
    for found, (_, arguments) in zip(turn.tool_calls, calls, strict=True):
        assert found.arguments_error is None, found.arguments_error
        assert same(found.arguments, arguments), (found.arguments, arguments)
    assert turn.thinking == thinking
    # The content was stored exactly as it arrived, so sending it back re-renders the same turn.
    assert turn.provider_message["content"] == output


@settings(max_examples=150, deadline=None)
@given(tool_calls())
def test_the_parser_alone_reads_back_what_the_template_wrote(
    generated: tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]],
) -> None:
    calls, schemas = generated
    _, answer = split_thinking(model_output(calls, "thinking", "", schemas))
    parsed = parse_tool_calls(answer, schemas)
    assert parsed.text == ""
    assert [(c.name, c.error) for c in parsed.calls] == [(name, None) for name, _ in calls]
    for found, (_, arguments) in zip(parsed.calls, calls, strict=True):
        assert same(found.arguments, arguments), (found.arguments, arguments)


def test_the_template_is_minimax_m2s_own_byte_for_byte() -> None:
    assert hashlib.sha256(TEMPLATE.read_bytes()).hexdigest() == TEMPLATE_SHA256


def test_the_template_writes_values_verbatim_and_everything_else_as_json() -> None:
    output = model_output(
        [("write_file", {"path": "a.py", "content": "x = 1\n", "mode": 420, "tags": ["é"]})],
        "I will write it.",
        "",
        {},
    )
    assert output == (
        "I will write it.\n</think>\n\n\n<minimax:tool_call>\n"
        '<invoke name="write_file">\n'
        '<parameter name="path">a.py</parameter>\n'
        '<parameter name="content">x = 1\n</parameter>\n'
        '<parameter name="mode">420</parameter>\n'
        '<parameter name="tags">["é"]</parameter>\n'
        "</invoke>\n</minimax:tool_call>"
    )


@given(tool_calls())
def test_the_fakes_raw_markup_is_what_the_template_writes(
    generated: tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]],
) -> None:
    calls, schemas = generated
    output = model_output(calls, "t", "", schemas)
    fake = tool_call_markup(tuple(FakeToolCall(f"call_{i}", n, a) for i, (n, a) in enumerate(calls)))
    assert output.endswith("\n" + fake)
