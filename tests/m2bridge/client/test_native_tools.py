"""MiniMax-M2's raw markup: splitting thinking from the answer and reading `<minimax:tool_call>` blocks."""

from __future__ import annotations

import json
import string
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2bridge.client.native_tools import (
    INCOMPLETE_CALL_ERROR,
    NativeCall,
    NativeParse,
    has_tool_markup,
    parse_tool_calls,
    split_thinking,
)
from tests.support.same_json import same

SCHEMAS: dict[str, dict[str, Any]] = {
    "search_web": {
        "type": "object",
        "properties": {"query": {"type": "array", "items": {"type": "string"}}, "limit": {"type": "integer"}},
    },
    "read_file": {"type": "object", "properties": {"path": {"type": "string"}}},
    "typed": {
        "type": "object",
        "properties": {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "n": {"type": "number"},
            "b": {"type": "boolean"},
            "a": {"type": "array"},
            "o": {"type": "object"},
            "maybe_i": {"type": ["integer", "null"]},
            "maybe_s": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "one_of": {"oneOf": [{"type": "integer"}, {"type": "boolean"}]},
            "s_or_i": {"type": ["string", "integer"]},
            "untyped": {"description": "no type given"},
            "enum_s": {"enum": ["a", "b"]},
            "weird_type": {"type": "whatever"},
        },
    },
}

EXAMPLE = """...thinking text...</think>
Some visible answer text maybe.
<minimax:tool_call>
<invoke name="search_web">
<parameter name="query">["technology", "events"]</parameter>
<parameter name="limit">3</parameter>
</invoke>
<invoke name="read_file">
<parameter name="path">src/a.py</parameter>
</invoke>
</minimax:tool_call>
"""


def call(tool: str, **params: str) -> str:
    """One wrapper holding one invoke, parameters rendered as given (raw text)."""
    body = "".join(f'<parameter name="{key}">{value}</parameter>\n' for key, value in params.items())
    return f'<minimax:tool_call>\n<invoke name="{tool}">\n{body}</invoke>\n</minimax:tool_call>'


def typed_value(param: str, raw: str) -> Any:
    parsed = parse_tool_calls(call("typed", **{param: raw}), SCHEMAS)
    assert len(parsed.calls) == 1
    assert parsed.calls[0].error is None, parsed.calls[0].error
    return parsed.calls[0].arguments[param]


def typed_failure(param: str, raw: str) -> NativeCall:
    parsed = parse_tool_calls(call("typed", **{param: raw}), SCHEMAS)
    assert len(parsed.calls) == 1
    return parsed.calls[0]


# --- split_thinking ---------------------------------------------------------------------------


def test_a_think_block_at_the_start_is_split_from_the_answer() -> None:
    assert split_thinking("<think>\nLet me see.\n</think>\n\nThe answer.") == ("Let me see.", "The answer.")


def test_leading_whitespace_before_the_think_block_is_allowed() -> None:
    assert split_thinking("  \n<think>X</think>Y") == ("X", "Y")


def test_a_closing_tag_without_an_opening_one_ends_the_thinking() -> None:
    assert split_thinking("X</think>Y") == ("X", "Y")


def test_the_example_output_splits_into_thinking_and_answer() -> None:
    thinking, answer = split_thinking(EXAMPLE)
    assert thinking == "...thinking text..."
    assert answer.startswith("Some visible answer text maybe.\n<minimax:tool_call>")


def test_text_without_think_tags_is_all_answer_and_untouched() -> None:
    assert split_thinking("  just an answer\n") == (None, "  just an answer\n")


def test_an_unterminated_think_block_is_all_thinking() -> None:
    assert split_thinking("<think>\nstill thinking when the stream was cut") == (
        "still thinking when the stream was cut",
        "",
    )


def test_only_one_newline_is_stripped_from_each_side_of_the_thinking() -> None:
    assert split_thinking("<think>\n\n  X  \n\n</think>Y") == ("\n  X  \n", "Y")


def test_whitespace_other_than_newlines_is_kept_in_the_thinking() -> None:
    assert split_thinking("<think> X\t</think>Y") == (" X\t", "Y")


def test_leading_whitespace_before_the_answer_is_stripped_but_trailing_is_kept() -> None:
    assert split_thinking("X</think>\n\n  Y \n") == ("X", "Y \n")


def test_empty_thinking_is_an_empty_string_not_none() -> None:
    assert split_thinking("<think></think>Y") == ("", "Y")
    assert split_thinking("</think>Y") == ("", "Y")


def test_a_second_think_block_leaked_at_the_start_of_the_answer_joins_the_thinking() -> None:
    assert split_thinking("A</think>\n\n<think>\nB\n</think>\nanswer") == ("A\n\nB", "answer")


def test_a_duplicated_closing_tag_does_not_leak_into_the_answer() -> None:
    assert split_thinking("<think>A</think>\n</think>\nanswer") == ("A", "answer")


def test_think_tags_later_in_the_answer_are_left_alone() -> None:
    assert split_thinking("A</think>Use <think> and </think> tags.") == (
        "A",
        "Use <think> and </think> tags.",
    )


def test_a_lost_closing_tag_before_a_tool_call_still_leaves_the_call_in_the_answer() -> None:
    thinking, answer = split_thinking("<think>\nI should read it.\n" + call("read_file", path="a.py"))
    assert thinking == "I should read it."
    assert answer.startswith("<minimax:tool_call>")
    assert parse_tool_calls(answer, SCHEMAS).calls == [NativeCall("read_file", {"path": "a.py"}, None)]


def test_empty_content_has_no_thinking() -> None:
    assert split_thinking("") == (None, "")


# --- parse_tool_calls: structure ----------------------------------------------------------------


def test_the_example_output_gives_its_text_and_both_calls() -> None:
    _, answer = split_thinking(EXAMPLE)
    assert parse_tool_calls(answer, SCHEMAS) == NativeParse(
        text="Some visible answer text maybe.",
        calls=[
            NativeCall("search_web", {"query": ["technology", "events"], "limit": 3}, None),
            NativeCall("read_file", {"path": "src/a.py"}, None),
        ],
    )


def test_text_without_markup_comes_back_with_no_calls() -> None:
    assert parse_tool_calls("Hello there.\n\n", SCHEMAS) == NativeParse("Hello there.", [])


def test_several_wrappers_are_all_read_and_all_removed_from_the_text() -> None:
    text = "Before.\n" + call("read_file", path="a") + "\nBetween.\n" + call("read_file", path="b") + "\n"
    parsed = parse_tool_calls(text, SCHEMAS)
    assert [c.arguments["path"] for c in parsed.calls] == ["a", "b"]
    assert "Before." in parsed.text and "Between." in parsed.text
    assert "<" not in parsed.text
    assert parsed.text == parsed.text.rstrip()


def test_a_call_without_any_visible_text_leaves_empty_text() -> None:
    assert parse_tool_calls(call("read_file", path="a"), SCHEMAS).text == ""


def test_single_quoted_attributes_are_accepted() -> None:
    text = "<minimax:tool_call><invoke name='read_file'>"
    text += "<parameter name='path'>x</parameter></invoke></minimax:tool_call>"
    assert parse_tool_calls(text, SCHEMAS).calls == [NativeCall("read_file", {"path": "x"}, None)]


def test_a_call_with_no_parameters_has_empty_arguments() -> None:
    text = '<minimax:tool_call>\n<invoke name="read_file">\n</invoke>\n</minimax:tool_call>'
    assert parse_tool_calls(text, SCHEMAS).calls == [NativeCall("read_file", {}, None)]


def test_values_may_hold_angle_brackets_ampersands_and_newlines() -> None:
    value = "if a < b && c > d:\n    <tag attr='1'/> &amp;"
    parsed = parse_tool_calls(call("read_file", path=value), SCHEMAS)
    assert parsed.calls[0] == NativeCall("read_file", {"path": value}, None)


def test_values_holding_the_invoke_closing_tag_still_parse() -> None:
    value = 'print("</invoke>")'
    parsed = parse_tool_calls(call("read_file", path=value), SCHEMAS)
    assert parsed.calls[0] == NativeCall("read_file", {"path": value}, None)


def test_has_tool_markup_sees_the_wrapper_only() -> None:
    assert has_tool_markup("x <minimax:tool_call>")
    assert has_tool_markup(EXAMPLE)
    assert not has_tool_markup('<invoke name="a"></invoke>')
    assert not has_tool_markup("plain text")


# --- parse_tool_calls: value conversion -------------------------------------------------------


def test_string_values_are_read_verbatim_with_their_newlines() -> None:
    # The chat template writes <parameter name="k">VALUE</parameter> with nothing added around VALUE.
    assert typed_value("s", "\n\n  two lines\n  kept  \n\n") == "\n\n  two lines\n  kept  \n\n"


def test_a_written_file_keeps_its_last_newline() -> None:
    parsed = parse_tool_calls(call("typed", s="line 1\nline 2\n"), SCHEMAS)
    assert parsed.calls == [NativeCall("typed", {"s": "line 1\nline 2\n"}, None)]


def test_string_values_keep_other_surrounding_whitespace() -> None:
    assert typed_value("s", "  spaced\t") == "  spaced\t"


def test_number_passed_for_a_string_parameter_stays_a_string() -> None:
    assert typed_value("s", "42") == "42"
    assert typed_value("s", "true") == "true"
    assert typed_value("s", '["a"]') == '["a"]'


def test_the_text_null_for_a_string_parameter_that_does_not_allow_null_stays_text() -> None:
    assert typed_value("s", "null") == "null"


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), (" 3 ", 3), ("\n3\n", 3), ("3.0", 3), ("-7", -7)])
def test_integer_parameters_accept_whole_numbers_in_several_spellings(raw: str, expected: int) -> None:
    value = typed_value("i", raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(("raw", "expected"), [("2.5", 2.5), ("3", 3), ("-1e3", -1000.0), (" .5 ", 0.5)])
def test_number_parameters_become_floats_or_ints(raw: str, expected: float) -> None:
    value = typed_value("n", raw)
    assert value == expected
    assert type(value) is type(expected)


def test_a_long_run_of_digits_that_is_not_a_number_is_refused_in_linear_time() -> None:
    # `\d+\.?\d*` backtracked quadratically here: 40,000 digits took 24 s.
    started = time.perf_counter()
    failed = typed_failure("n", "1" * 40_000 + "x")
    assert failed.error is not None and "expected number" in failed.error
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("off", False),
    ],
)
def test_boolean_parameters_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    assert typed_value("b", raw) is expected


def test_array_parameters_are_read_as_json() -> None:
    assert typed_value("a", '\n["x", 1, {"k": null}]\n') == ["x", 1, {"k": None}]


def test_object_parameters_are_read_as_json() -> None:
    assert typed_value("o", '{"k": [1, 2], "t": true}') == {"k": [1, 2], "t": True}


def test_single_quoted_pseudo_json_arrays_are_accepted() -> None:
    assert typed_value("a", "['technology', 'events']") == ["technology", "events"]


def test_single_quoted_pseudo_json_objects_are_accepted() -> None:
    assert typed_value("o", "{'k': 'v', 'n': 1, 'ok': True, 'none': None}") == {
        "k": "v",
        "n": 1,
        "ok": True,
        "none": None,
    }


def test_pseudo_json_is_never_evaluated_as_code() -> None:
    failed = typed_failure("a", "[__import__('os').getcwd()]")
    assert failed.error is not None
    assert failed.arguments["a"] == "[__import__('os').getcwd()]"


def test_an_array_parameter_given_an_object_is_an_error() -> None:
    failed = typed_failure("a", '{"k": 1}')
    assert failed.error is not None and "'a'" in failed.error
    assert failed.arguments["a"] == '{"k": 1}'


def test_an_object_parameter_given_an_array_is_an_error() -> None:
    assert typed_failure("o", "[1, 2]").error is not None


def test_literal_values_that_are_not_json_are_refused() -> None:
    assert typed_failure("a", "[{1, 2}]").error is not None  # a set
    assert typed_failure("o", "{1: 'a'}").error is not None  # a non-string key
    assert typed_failure("a", "[NaN]").error is not None


def test_null_becomes_none_where_the_schema_allows_null() -> None:
    assert typed_value("maybe_i", "null") is None
    assert typed_value("maybe_i", "4") == 4
    assert typed_value("maybe_s", "null") is None
    assert typed_value("maybe_s", "text") == "text"


def test_one_of_schemas_offer_each_of_their_types() -> None:
    assert typed_value("one_of", "5") == 5
    assert typed_value("one_of", "false") is False


def test_a_string_or_integer_parameter_prefers_the_integer_but_falls_back_to_text() -> None:
    assert typed_value("s_or_i", "5") == 5
    assert typed_value("s_or_i", "five") == "five"


def test_an_enum_without_a_type_takes_its_values_type() -> None:
    assert typed_value("enum_s", "1") == "1"


@pytest.mark.parametrize("param", ["untyped", "weird_type", "not_in_schema"])
def test_values_without_a_known_type_stay_strings(param: str) -> None:
    # MiniMax's guide and the vLLM and SGLang parsers: no schema type means a string (ids that look numeric).
    assert typed_value(param, "[1, 2]") == "[1, 2]"
    assert typed_value(param, "5") == "5"
    assert typed_value(param, "\nsome text\n") == "\nsome text\n"


def test_an_unknown_tool_still_gives_its_call_with_string_values() -> None:
    parsed = parse_tool_calls(call("mystery", n="3", s="hello"), SCHEMAS)
    assert parsed.calls == [NativeCall("mystery", {"n": "3", "s": "hello"}, None)]


def test_a_value_that_does_not_fit_its_type_keeps_its_text_and_sets_the_error() -> None:
    parsed = parse_tool_calls(call("typed", i="three", s="kept"), SCHEMAS)
    [failed] = parsed.calls
    assert failed.name == "typed"
    assert failed.arguments == {"i": "three", "s": "kept"}
    assert failed.error is not None and "'i'" in failed.error and "integer" in failed.error


@pytest.mark.parametrize(("param", "raw"), [("i", "3.5"), ("i", "1e400"), ("n", "inf"), ("b", "maybe")])
def test_values_out_of_their_type_are_errors(param: str, raw: str) -> None:
    failed = typed_failure(param, raw)
    assert failed.error is not None
    assert failed.arguments[param] == raw


def test_odd_schemas_do_not_break_parsing() -> None:
    schemas: Any = {"t": {"properties": ["not", "a", "mapping"]}, "u": "not a schema"}
    text = call("t", x="1") + call("u", y="[1]")
    assert parse_tool_calls(text, schemas).calls == [
        NativeCall("t", {"x": "1"}, None),
        NativeCall("u", {"y": "[1]"}, None),
    ]


# --- parse_tool_calls: broken and partial markup -------------------------------------------------


def test_a_stream_cut_inside_a_parameter_value_keeps_the_complete_parameters() -> None:
    text = (
        'Reading.\n<minimax:tool_call>\n<invoke name="search_web">\n<parameter name="limit">3</parameter>\n'
    )
    text += '<parameter name="query">["tech'
    parsed = parse_tool_calls(text, SCHEMAS)
    assert parsed == NativeParse("Reading.", [NativeCall("search_web", {"limit": 3}, INCOMPLETE_CALL_ERROR)])


@pytest.mark.parametrize(
    "cut", ["<", "<parameter", '<parameter name="pa', '<parameter name="path">src', "</para"]
)
def test_a_stream_cut_anywhere_in_the_last_parameter_reports_an_incomplete_call(cut: str) -> None:
    text = '<minimax:tool_call>\n<invoke name="read_file">\n' + cut
    assert parse_tool_calls(text, SCHEMAS).calls == [NativeCall("read_file", {}, INCOMPLETE_CALL_ERROR)]


def test_a_stream_cut_after_the_parameters_but_before_the_invoke_closed_is_incomplete() -> None:
    text = '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a</parameter>\n</inv'
    assert parse_tool_calls(text, SCHEMAS).calls == [
        NativeCall("read_file", {"path": "a"}, INCOMPLETE_CALL_ERROR)
    ]


@pytest.mark.parametrize("cut", ["", "\n", "<inv", "<invoke", '<invoke name="read_'])
def test_a_stream_cut_before_an_invoke_name_was_read_reports_a_nameless_incomplete_call(cut: str) -> None:
    parsed = parse_tool_calls("Let me look.\n<minimax:tool_call>\n" + cut, SCHEMAS)
    assert parsed == NativeParse("Let me look.", [NativeCall("", {}, INCOMPLETE_CALL_ERROR)])


def test_complete_invokes_in_a_wrapper_cut_before_its_close_are_kept_as_they_are() -> None:
    text = '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a</parameter>\n</invoke>\n'
    assert parse_tool_calls(text, SCHEMAS).calls == [NativeCall("read_file", {"path": "a"}, None)]


def test_a_complete_invoke_followed_by_the_start_of_another_reports_both() -> None:
    text = '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a</parameter>\n</invoke>\n'
    assert parse_tool_calls(text + "<inv", SCHEMAS).calls == [
        NativeCall("read_file", {"path": "a"}, None),
        NativeCall("", {}, INCOMPLETE_CALL_ERROR),
    ]


def test_a_wrapper_tag_cut_off_at_the_end_is_not_shown_as_text() -> None:
    assert parse_tool_calls("Let me check.\n<minimax:tool_c", SCHEMAS) == NativeParse("Let me check.", [])


def test_a_lone_less_than_sign_at_the_end_of_the_text_is_kept() -> None:
    assert parse_tool_calls("a <", SCHEMAS).text == "a <"


def test_a_missing_invoke_close_between_two_invokes_is_an_error_on_the_first_only() -> None:
    text = (
        '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a</parameter>\n'
        '<invoke name="read_file">\n<parameter name="path">b</parameter>\n</invoke>\n</minimax:tool_call>'
    )
    first, second = parse_tool_calls(text, SCHEMAS).calls
    assert first.arguments == {"path": "a"} and first.error is not None and "</invoke>" in first.error
    assert second == NativeCall("read_file", {"path": "b"}, None)


def test_a_missing_parameter_close_keeps_the_value_and_sets_the_error() -> None:
    text = (
        '<minimax:tool_call>\n<invoke name="typed">\n<parameter name="i">5\n</invoke>\n</minimax:tool_call>'
    )
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.arguments == {"i": 5}
    assert parsed.error is not None and "</parameter>" in parsed.error


def test_an_invoke_without_a_name_is_reported_not_dropped() -> None:
    text = '<minimax:tool_call><invoke><parameter name="x">1</parameter></invoke></minimax:tool_call>'
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.name == "" and parsed.arguments == {"x": "1"} and parsed.error is not None


def test_a_parameter_without_a_name_is_reported() -> None:
    text = '<minimax:tool_call><invoke name="read_file"><parameter>x</parameter></invoke></minimax:tool_call>'
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.name == "read_file" and parsed.arguments == {} and parsed.error is not None


def test_a_parameter_not_closed_before_the_next_one_is_a_broken_call() -> None:
    text = (
        '<minimax:tool_call>\n<invoke name="read_file">\n'
        '<parameter name="path">a.py<parameter name="line">3</parameter>\n</invoke>\n</minimax:tool_call>'
    )
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.name == "read_file"
    assert parsed.error == "parameter 'path' is not closed: <parameter> comes before its </parameter>"


def test_a_parameter_not_closed_before_the_next_invoke_is_a_broken_call() -> None:
    text = (
        '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a.py\n'
        '<invoke name="read_file">\n<parameter name="path">b.py</parameter>\n</invoke>\n</minimax:tool_call>'
    )
    first, second = parse_tool_calls(text, SCHEMAS).calls
    assert first.error is not None and "parameter 'path' is not closed" in first.error
    assert second == NativeCall("read_file", {"path": "b.py"}, None)


def test_text_inside_an_invoke_outside_any_parameter_is_a_broken_call() -> None:
    # What is left when a value holds </parameter>: the template would write it the same way.
    text = call("read_file", path="This text contains </parameter> in it")
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.error is not None and "unexpected text 'in it</parameter>'" in parsed.error


def test_text_inside_the_wrapper_outside_any_invoke_is_reported_on_a_call() -> None:
    text = '<minimax:tool_call>\nI will read it.\n<invoke name="read_file">\n</invoke>\n</minimax:tool_call>'
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.name == "read_file"
    assert parsed.error is not None and "'I will read it.'" in parsed.error


def test_a_wrapper_with_no_invoke_is_reported_not_dropped() -> None:
    [parsed] = parse_tool_calls("<minimax:tool_call>\n</minimax:tool_call>", SCHEMAS).calls
    assert parsed == NativeCall("", {}, "<minimax:tool_call> holds no <invoke>")


def test_a_parameter_given_twice_is_a_broken_call() -> None:
    text = (
        '<minimax:tool_call><invoke name="read_file"><parameter name="path">a</parameter>'
        '<parameter name="path">b</parameter></invoke></minimax:tool_call>'
    )
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.error == "parameter 'path' is given twice"


def test_a_parameter_tag_without_its_closing_bracket_is_a_broken_call() -> None:
    text = '<minimax:tool_call><invoke name="read_file"><parameter name="path"</parameter>'
    text += "</invoke></minimax:tool_call>"
    [parsed] = parse_tool_calls(text, SCHEMAS).calls
    assert parsed.error is not None and "has no closing '>'" in parsed.error


@pytest.mark.parametrize(
    ("param", "raw"),
    [("n", "1e999"), ("a", "[1, 1e999]"), ("a", "[NaN]"), ("o", '{"x": {"y": -1e999}}'), ("a", "[Infinity]")],
)
def test_non_finite_numbers_are_refused_at_any_depth(param: str, raw: str) -> None:
    failed = typed_failure(param, raw)
    assert failed.error is not None and f"'{param}'" in failed.error
    assert failed.arguments[param] == raw


def test_an_id_that_looks_numeric_stays_a_string_when_the_schema_gives_no_type() -> None:
    assert typed_value("untyped", "007") == "007"


def test_a_stray_wrapper_close_is_removed_from_the_text() -> None:
    assert parse_tool_calls("done</minimax:tool_call>\n", SCHEMAS) == NativeParse("done", [])


# --- properties ---------------------------------------------------------------------------------

FRAGMENTS = [
    "<minimax:tool_call>",
    "</minimax:tool_call>",
    '<invoke name="',
    "<invoke name='",
    "<invoke",
    "</invoke>",
    '<parameter name="',
    "<parameter",
    "</parameter>",
    "<think>",
    "</think>",
    "read_file",
    "typed",
    "search_web",
    '"',
    "'",
    ">",
    "<",
    "\n",
    "null",
    "[",
    "{",
    "1",
    "1e999",
    "é漢🙂",
]
markupish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)
any_text = st.one_of(st.text(), markupish)
any_params = st.sampled_from([*SCHEMAS["typed"]["properties"], "path", "query", "limit"])


@given(any_text)
def test_split_thinking_never_raises_and_returns_strings(content: str) -> None:
    thinking, answer = split_thinking(content)
    assert thinking is None or isinstance(thinking, str)
    assert isinstance(answer, str)
    if thinking is None:
        assert answer == content
    else:
        assert answer == answer.lstrip()


@given(any_text)
def test_parse_tool_calls_never_raises_on_any_text(text: str) -> None:
    parsed = parse_tool_calls(text, SCHEMAS)
    assert parsed.text == parsed.text.rstrip()
    for found in parsed.calls:
        assert isinstance(found.name, str)
        assert isinstance(found.arguments, dict)
    if not has_tool_markup(text):
        assert parsed.calls == []


@given(st.lists(st.tuples(any_params, st.one_of(st.text(max_size=20), markupish)), max_size=5))
def test_parse_tool_calls_never_raises_on_any_parameter_values(params: list[tuple[str, str]]) -> None:
    body = "".join(f'<parameter name="{name}">{value}</parameter>' for name, value in params)
    text = f'<minimax:tool_call><invoke name="typed">{body}</invoke></minimax:tool_call>'
    for end in range(0, len(text) + 1, max(1, len(text) // 25)):
        parse_tool_calls(text[:end], SCHEMAS)


@given(any_text)
def test_every_prefix_of_a_complete_call_parses_without_raising(noise: str) -> None:
    text = noise + EXAMPLE.split("</think>")[1]
    for end in range(len(text) + 1):
        parse_tool_calls(text[:end], SCHEMAS)


def test_every_prefix_of_the_example_is_either_complete_or_reported_as_cut_off() -> None:
    text = EXAMPLE.split("</think>")[1]
    for end in range(len(text) + 1):
        parsed = parse_tool_calls(text[:end], SCHEMAS)
        assert all(c.error in (None, INCOMPLETE_CALL_ERROR) for c in parsed.calls)
        # Only a lone "<" may stay: it is as likely prose as the start of a tag.
        assert "<" not in parsed.text.removesuffix("<")


# Round trip: generated calls rendered the way M2 writes them parse back to equal arguments.

# A value holding a tag that opens or closes a parameter cannot be told from broken markup.
CLOSING_TAGS = ("</parameter>", "</invoke>", "</minimax:tool_call>", "<parameter", "<invoke")
identifiers = st.text(string.ascii_letters + "_", min_size=1, max_size=3).flatmap(
    lambda head: st.text(string.ascii_letters + string.digits + "_-", max_size=12).map(
        lambda tail: head + tail
    )
)
safe_text = st.text().filter(lambda s: not any(tag in s for tag in CLOSING_TAGS))
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | safe_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(safe_text, inner, max_size=4),
    max_leaves=12,
).filter(lambda v: not any(tag in json.dumps(v, ensure_ascii=False) for tag in CLOSING_TAGS))
VALUES_BY_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "string": safe_text,
    "integer": st.integers(),
    "number": st.one_of(st.integers(), finite_floats),
    "boolean": st.booleans(),
    "array": st.lists(json_values, max_size=4),
    "object": st.dictionaries(safe_text, json_values, max_size=4),
}


@st.composite
def tools(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, input schema, arguments matching it)."""
    name = draw(identifiers)
    types = draw(st.dictionaries(identifiers, st.sampled_from(sorted(VALUES_BY_TYPE)), max_size=6))
    schema = {"type": "object", "properties": {key: {"type": kind} for key, kind in types.items()}}
    arguments = {key: draw(VALUES_BY_TYPE[kind]) for key, kind in types.items()}
    return name, schema, arguments


def render_value(value: Any) -> str:
    # As the chat template writes it: strings verbatim, everything else as JSON.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(calls: list[tuple[str, dict[str, Any]]], quote: str) -> str:
    invokes = []
    for name, arguments in calls:
        params = "".join(
            f"<parameter name={quote}{key}{quote}>{render_value(value)}</parameter>\n"
            for key, value in arguments.items()
        )
        invokes.append(f"<invoke name={quote}{name}{quote}>\n{params}</invoke>\n")
    return "<minimax:tool_call>\n" + "".join(invokes) + "</minimax:tool_call>"


@settings(max_examples=200)
@given(
    st.lists(tools(), min_size=1, max_size=4, unique_by=lambda tool: tool[0]),
    st.sampled_from(['"', "'"]),
    safe_text.filter(lambda s: "<minimax:tool_call>" not in s),
)
def test_rendered_calls_parse_back_to_equal_arguments(
    generated: list[tuple[str, dict[str, Any], dict[str, Any]]], quote: str, prose: str
) -> None:
    schemas = {name: schema for name, schema, _ in generated}
    calls = [(name, arguments) for name, _, arguments in generated]
    parsed = parse_tool_calls(prose + "\n" + render(calls, quote) + "\n", schemas)
    assert [c.name for c in parsed.calls] == [name for name, _ in calls]
    for found, (_, arguments) in zip(parsed.calls, calls, strict=True):
        assert found.error is None, found.error
        assert same(found.arguments, arguments), (found.arguments, arguments)


no_think_tags = st.text().filter(lambda s: "</think>" not in s and "<think>" not in s)


@given(no_think_tags, no_think_tags)
def test_thinking_and_answer_round_trip_through_the_markup(thought: str, answer: str) -> None:
    thinking, rest = split_thinking(f"<think>\n{thought}\n</think>\n\n{answer}")
    assert thinking == thought
    assert rest == answer.lstrip()
