"""The m2/* messages an editor sends are checked before anything acts on them (lsp/params.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from lsp.params import (
    MAX_DIAGNOSTICS,
    MAX_PROMPT,
    ChatParams,
    DiagnosticsParams,
    EditorRange,
    SelectionParams,
    SessionParams,
    parse_arguments,
    parse_params,
)


def span(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {
        "start": {"line": start[0], "character": start[1]},
        "end": {"line": end[0], "character": end[1]},
    }


def diagnostic(line: int) -> dict[str, Any]:
    return {"range": span((line, 0), (line, 1)), "message": "bad", "severity": 1}


def refusal(model: type[Any], raw: Any) -> str:
    with pytest.raises(JsonRpcInvalidParams) as refused:
        parse_params(model, raw)
    return refused.value.message


def test_a_chat_turn_is_read_with_its_editor_field_names() -> None:
    params = parse_params(ChatParams, {"sessionId": "s1", "prompt": "hi", "workDoneToken": 7})
    assert (params.session_id, params.prompt, params.work_done_token) == ("s1", "hi", 7)


def test_a_prompt_over_the_max_length_is_invalid_params_naming_the_prompt() -> None:
    message = refusal(ChatParams, {"prompt": "x" * (MAX_PROMPT + 1)})
    assert message.startswith("Invalid params: prompt:")


def test_a_prompt_of_exactly_the_max_length_is_accepted() -> None:
    assert len(parse_params(ChatParams, {"prompt": "x" * MAX_PROMPT}).prompt) == MAX_PROMPT


def test_a_missing_prompt_is_invalid_params_naming_the_prompt() -> None:
    assert "prompt: Field required" in refusal(ChatParams, {"sessionId": "s1"})


def test_no_params_at_all_are_checked_as_an_empty_object() -> None:
    assert "prompt" in refusal(ChatParams, None)


def test_an_empty_prompt_is_refused() -> None:
    assert "prompt" in refusal(ChatParams, {"prompt": ""})


def test_an_empty_session_id_is_refused_under_the_editors_name_for_it() -> None:
    assert "sessionId" in refusal(ChatParams, {"prompt": "hi", "sessionId": ""})


def test_a_negative_line_is_invalid_params_naming_where_it_is() -> None:
    message = refusal(SelectionParams, {"uri": "file:///a.py", "range": span((-1, 0), (0, 0))})
    assert "range.start.line" in message


def test_a_negative_character_at_the_end_is_named_too() -> None:
    message = refusal(SelectionParams, {"uri": "file:///a.py", "range": span((0, 0), (0, -3))})
    assert "range.end.character" in message


def test_more_diagnostics_than_the_limit_are_invalid_params() -> None:
    raw = {"uri": "file:///a.py", "diagnostics": [diagnostic(n) for n in range(MAX_DIAGNOSTICS + 1)]}
    assert MAX_DIAGNOSTICS + 1 == 2001
    assert "diagnostics" in refusal(DiagnosticsParams, raw)


def test_exactly_the_limit_of_diagnostics_is_accepted() -> None:
    raw = {"uri": "file:///a.py", "diagnostics": [diagnostic(n) for n in range(MAX_DIAGNOSTICS)]}
    assert len(parse_params(DiagnosticsParams, raw).diagnostics) == MAX_DIAGNOSTICS


def test_a_severity_outside_lsps_four_is_refused() -> None:
    raw = {"uri": "file:///a.py", "diagnostics": [{**diagnostic(0), "severity": 5}]}
    assert "diagnostics.0.severity" in refusal(DiagnosticsParams, raw)


def test_an_unknown_extra_field_is_ignored_not_an_error() -> None:
    params = parse_params(SessionParams, {"id": "s1", "partialResultToken": "p", "vendorThing": {"a": 1}})
    assert params == SessionParams(id="s1")


def test_params_that_are_not_an_object_are_invalid_params() -> None:
    assert refusal(SessionParams, ["s1"]).startswith("Invalid params: params:")


def test_at_most_five_problems_are_listed() -> None:
    raw = {"uri": "", "diagnostics": [{"range": span((-1, -1), (-1, -1)), "message": 1}]}
    message = refusal(DiagnosticsParams, raw)
    assert message.count("; ") == 4  # six problems here, five listed


def test_the_error_carries_json_rpcs_invalid_params_code() -> None:
    with pytest.raises(JsonRpcInvalidParams) as refused:
        parse_params(SessionParams, {})
    assert refused.value.code == -32602


def test_a_range_ending_at_column_zero_stops_on_the_line_before() -> None:
    assert EditorRange.model_validate(span((3, 4), (6, 0))).last_line() == 5
    assert EditorRange.model_validate(span((3, 4), (6, 1))).last_line() == 6


def test_an_empty_range_at_column_zero_stays_on_its_line() -> None:
    cursor = EditorRange.model_validate(span((6, 0), (6, 0)))
    assert cursor.empty
    assert (cursor.first_line(), cursor.last_line()) == (6, 6)


def test_a_backwards_range_covers_the_same_lines_as_a_forwards_one() -> None:
    backwards = EditorRange.model_validate(span((9, 2), (4, 1)))
    assert (backwards.first_line(), backwards.last_line()) == (4, 9)
    assert not backwards.empty


def test_command_arguments_are_read_positionally_into_their_types() -> None:
    uri, where = parse_arguments(
        tuple[str, EditorRange], ("file:///a.py", span((1, 0), (2, 0))), "m2.explain"
    )
    assert uri == "file:///a.py"
    assert (where.first_line(), where.last_line()) == (1, 1)


def test_bad_command_arguments_are_invalid_params_naming_the_command() -> None:
    with pytest.raises(JsonRpcInvalidParams) as refused:
        parse_arguments(tuple[str, EditorRange], ("file:///a.py", {"start": 3}), "m2.explain")
    assert refused.value.message.startswith("m2.explain: bad arguments (")
    assert refused.value.code == JsonRpcInvalidParams.CODE


def test_a_missing_command_argument_is_invalid_params_too() -> None:
    with pytest.raises(JsonRpcInvalidParams, match=r"m2\.chat: bad arguments"):
        parse_arguments(tuple[str, str | None], ("hello",), "m2.chat")
