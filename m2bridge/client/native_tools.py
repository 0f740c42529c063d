"""MiniMax-M2's own markup in raw completions: thinking tags and `<minimax:tool_call>` blocks.

Servers without a tool-call parser (llama.cpp, MLX, plain completions) hand back the model's text
as is. This module turns that text into (thinking, answer) and into tool calls whose arguments are
typed by each tool's JSON schema, following MiniMax-M2's chat template and tool-calling guide
(../shared/m2-facts.md, "Self-hosted M2"):

- Parameter values are read verbatim: the chat template writes `<parameter name="k">VALUE</parameter>`
  with no added newlines, and vLLM 0.34 reads them back the same way, so a file's last newline stays.
- A value is converted by its schema type: string stays string; integer, number and boolean are parsed;
  array and object are JSON; `null` is None where null is allowed. A parameter with no schema type is a
  string, as in MiniMax's guide and every reference parser (ids that look numeric stay ids).
- Broken markup is a broken call, reported in `NativeCall.error` (never raised, never guessed into a
  value): the agent loop then answers the call with that error, so M2 sees what was wrong and retries.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from m2bridge.json_values import is_list, is_mapping

__all__ = [
    "INCOMPLETE_CALL_ERROR",
    "NativeCall",
    "NativeParse",
    "has_tool_markup",
    "parse_tool_calls",
    "split_thinking",
]

INCOMPLETE_CALL_ERROR = "incomplete tool call (output was cut off)"

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_WRAP_OPEN = "<minimax:tool_call>"
_WRAP_CLOSE = "</minimax:tool_call>"
_INVOKE_CLOSE = "</invoke>"
_PARAM_CLOSE = "</parameter>"

# An opening tag is its name not followed by more name characters; it may lack its `>` when the
# stream was cut (group "end" is then missing) or when the model forgot it (a `<` follows instead).
_INVOKE_TAG = re.compile(r"<invoke(?![\w:-])(?P<attrs>[^<>]*)(?P<end>>)?")
_PARAM_TAG = re.compile(r"<parameter(?![\w:-])(?P<attrs>[^<>]*)(?P<end>>)?")
# What may come next inside a wrapper, and inside an invoke.
_IN_WRAPPER = re.compile(r"<invoke(?![\w:-])|" + re.escape(_WRAP_CLOSE))
_IN_INVOKE = re.compile(
    r"<parameter(?![\w:-])|<invoke(?![\w:-])|" + re.escape(_INVOKE_CLOSE) + "|" + re.escape(_WRAP_CLOSE)
)
_PARAM_CLOSE_TAG = re.compile(re.escape(_PARAM_CLOSE))
# A tag that may not appear inside a value: the value before it was never closed.
_OPEN_TAG = re.compile(r"<(?:parameter|invoke)(?![\w:-])")
# Where a parameter whose `</parameter>` is missing is taken to end.
_UNCLOSED_PARAM_END = re.compile(re.escape(_INVOKE_CLOSE) + "|" + re.escape(_WRAP_CLOSE))
_NAME_ATTR = re.compile(r"""(?:^|\s)name\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""")
_SPACE = re.compile(r"\s+")
_INTEGER = re.compile(r"[+-]?\d+")
# `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long run of digits.
_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Non-string types are tried in this order when a schema allows several.
_TYPE_ORDER = ("null", "integer", "number", "boolean", "array", "object")
_KNOWN_TYPES = frozenset((*_TYPE_ORDER, "string"))
_PY_TO_JSON_TYPE: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is an int subclass
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)
_MAX_SHOWN = 60


class _ConversionError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Thinking


def _trim_one_newline(text: str) -> str:
    """Drop at most one "\\n" at each end: the markup's own line breaks, never the content's."""
    if text.startswith("\n"):
        text = text[1:]
    if text.endswith("\n"):
        text = text[:-1]
    return text


def split_thinking(content: str) -> tuple[str | None, str]:
    """Split raw output into (thinking, answer); thinking is None when there are no think tags.

    The generation prompt already opens `<think>`, so a bare `X</think>Y` is thinking X then
    answer Y. A `<think>` with no close (a cut stream, or a lost `</think>`) is all thinking, except
    that a tool-call wrapper inside it ends the thinking: the call is the answer, not a thought.
    Further think blocks or a stray `</think>` at the very start of the answer are leaked markup
    and move into thinking; think tags later in the answer are left alone (they may be the topic).
    """
    # Positions, not slices: a run of stray tags must not copy the rest of the text each time.
    thoughts: list[str] = []
    pos = 0
    while True:
        start = _skip_space(content, pos)
        if content.startswith(_THINK_OPEN, start):
            body = start + len(_THINK_OPEN)
            end = content.find(_THINK_CLOSE, body)
            if end == -1:
                call = content.find(_WRAP_OPEN, body)
                pos = len(content) if call == -1 else call
                thoughts.append(_trim_one_newline(content[body:pos]))
                break
            thoughts.append(_trim_one_newline(content[body:end]))
            pos = end + len(_THINK_CLOSE)
            continue
        if content.startswith(_THINK_CLOSE, start):
            # A close with nothing before it: empty thinking, or a duplicate close after a block.
            if not thoughts:
                thoughts.append("")
            pos = start + len(_THINK_CLOSE)
            continue
        if not thoughts:
            end = content.find(_THINK_CLOSE)
            if end != -1:
                thoughts.append(_trim_one_newline(content[:end]))
                pos = end + len(_THINK_CLOSE)
                continue
        break
    if not thoughts:
        return None, content
    return "\n\n".join(thoughts), content[_skip_space(content, pos) :]


def _skip_space(text: str, pos: int) -> int:
    """The first position at or after `pos` that is not whitespace (as str.strip counts it)."""
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


# ---------------------------------------------------------------------------------------------
# Tool calls


@dataclass(frozen=True)
class NativeCall:
    """One `<invoke>`. When `error` is set the call is broken and arguments may hold raw text."""

    name: str
    arguments: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class NativeParse:
    """The visible text with every tool-call wrapper removed, and the calls found, in order."""

    text: str
    calls: list[NativeCall]


def has_tool_markup(text: str) -> bool:
    """Whether the text holds M2's tool-call wrapper (complete or not)."""
    return _WRAP_OPEN in text


def parse_tool_calls(text: str, schemas: Mapping[str, object]) -> NativeParse:
    """Find M2's tool calls in `text`, converting each parameter by its tool's input schema.

    `schemas` maps tool name -> JSON schema of the tool's input. Never raises. Broken markup (a
    parameter not closed before the next tag, text outside any parameter, a repeated parameter, a
    tag without its `>`) gives a call with `error` naming what is broken, and a wrapper cut off at the
    end gives INCOMPLETE_CALL_ERROR: such calls are reported to the model, never run.
    """
    finders = _Finders(
        _NextMatch(text, _PARAM_CLOSE_TAG), _NextMatch(text, _UNCLOSED_PARAM_END), _NextMatch(text, _OPEN_TAG)
    )
    visible: list[str] = []
    calls: list[NativeCall] = []
    pos = 0
    while True:
        start = text.find(_WRAP_OPEN, pos)
        if start == -1:
            visible.append(_drop_partial_wrapper_tag(text[pos:]))
            break
        visible.append(text[pos:start])
        found, pos, closed, started = _parse_wrapper(text, start + len(_WRAP_OPEN), schemas, finders)
        calls.extend(found)
        if not closed and (started or not found):
            # The output stopped before an invoke's name could be read: the model was still calling a tool.
            calls.append(NativeCall("", {}, INCOMPLETE_CALL_ERROR))
    # A closing wrapper tag with no opening one is markup, not prose.
    shown = "".join(visible).replace(_WRAP_CLOSE, "")
    return NativeParse(text=shown.rstrip(), calls=calls)


def _drop_partial_wrapper_tag(tail: str) -> str:
    """Remove a wrapper tag cut off at the very end ("...<minimax:tool"): the start of a call."""
    for size in range(min(len(_WRAP_OPEN) - 1, len(tail)), 1, -1):
        if tail.endswith(_WRAP_OPEN[:size]):
            return tail[:-size]
    return tail


def _stray(text: str, start: int, end: int, where: str) -> str | None:
    """A problem when text[start:end] holds more than the whitespace the template puts between tags."""
    stray = text[start:end].strip()
    if not stray:
        return None
    return f"unexpected text {_shown(stray)} inside {where}"


def _with_problem(call: NativeCall, problem: str, first: bool) -> NativeCall:
    if call.error == INCOMPLETE_CALL_ERROR:
        return call  # the cut-off is what the model must hear about
    problems = [problem, call.error] if first else [call.error, problem]
    return NativeCall(call.name, call.arguments, "; ".join(p for p in problems if p))


def _parse_wrapper(
    text: str, pos: int, schemas: Mapping[str, object], finders: _Finders
) -> tuple[list[NativeCall], int, bool, bool]:
    """Parse invokes from `pos` (just inside a wrapper).

    Returns (calls, end position, wrapper closed, something unparsed was left at the end): the last
    tells an unclosed wrapper whose complete invokes are followed by the start of another ("<inv").
    Text between invokes is broken markup: it is reported on the call after it (or before, at the end).
    """
    calls: list[NativeCall] = []
    while True:
        match = _IN_WRAPPER.search(text, pos)
        if match is None:
            return calls, len(text), False, bool(text[pos:].strip())
        problem = _stray(text, pos, match.start(), "<minimax:tool_call>, outside any <invoke>")
        if match.group() == _WRAP_CLOSE:
            if problem and calls:
                calls[-1] = _with_problem(calls[-1], problem, first=False)
            elif not calls:
                calls.append(NativeCall("", {}, problem or "<minimax:tool_call> holds no <invoke>"))
            return calls, match.end(), True, False
        call, pos = _parse_invoke(text, match.start(), schemas, finders)
        calls.append(_with_problem(call, problem, first=True) if problem else call)


def _parse_invoke(
    text: str, start: int, schemas: Mapping[str, object], finders: _Finders
) -> tuple[NativeCall, int]:
    """Parse the invoke whose tag starts at `start` -> (call, position after it)."""
    tag = _INVOKE_TAG.match(text, start)
    if tag is None:  # cannot happen after _IN_WRAPPER matched; be safe rather than loop
        return NativeCall("", {}, "malformed <invoke> tag"), start + 1
    if tag.group("end") is None and tag.end() >= len(text):
        return NativeCall("", {}, INCOMPLETE_CALL_ERROR), len(text)
    problems: list[str] = []
    name = _name_attribute(tag.group("attrs"))
    if name is None:
        problems.append("<invoke> has no name")
        name = ""
    if tag.group("end") is None:
        problems.append("the <invoke> tag has no closing '>'")
    properties = _properties(schemas, name)
    arguments: dict[str, Any] = {}
    pos = tag.end()
    while True:
        match = _IN_INVOKE.search(text, pos)
        if match is None:
            return NativeCall(name, arguments, INCOMPLETE_CALL_ERROR), len(text)
        if stray := _stray(text, pos, match.start(), "<invoke>, outside any <parameter>"):
            problems.append(stray)
        token = match.group()
        if token == _INVOKE_CLOSE:
            pos = match.end()
            break
        if token != "<parameter":
            # The next invoke or the wrapper's end came first: this invoke was never closed.
            problems.append("missing </invoke>")
            pos = match.start()
            break
        param = _PARAM_TAG.match(text, match.start())
        if param is None:  # cannot happen; advance rather than loop
            pos = match.end()
            continue
        if param.group("end") is None and param.end() >= len(text):
            return NativeCall(name, arguments, INCOMPLETE_CALL_ERROR), len(text)
        param_name = _name_attribute(param.group("attrs"))
        label = "<parameter> with no name" if param_name is None else f"parameter {param_name!r}"
        if param.group("end") is None:
            problems.append(f"the <parameter> tag of {label} has no closing '>'")
        value_start = param.end()
        close = finders.param_close.search(value_start)
        opened = finders.open_tag.search(value_start)
        if opened is not None and (close is None or opened.start() < close.start()):
            # Another tag opens before this value is closed: the markup is broken, whatever was meant.
            raw = text[value_start : opened.start()]
            pos = opened.start()
            problems.append(f"{label} is not closed: {opened.group()}> comes before its </parameter>")
        elif close is not None:
            raw = text[value_start : close.start()]
            pos = close.end()
        else:
            fallback = finders.unclosed_param_end.search(value_start)
            if fallback is None:  # ran off the end mid-value: the value is truncated, drop it
                return NativeCall(name, arguments, INCOMPLETE_CALL_ERROR), len(text)
            raw = text[value_start : fallback.start()]
            pos = fallback.start()
            problems.append(f"{label}: missing </parameter>")
        if param_name is None:
            problems.append(f"{label} was ignored")
            continue
        if param_name in arguments:
            problems.append(f"{label} is given twice")
            continue
        schema = properties.get(param_name) if properties is not None else None
        try:
            arguments[param_name] = _convert(raw, schema if is_mapping(schema) else None)
        except _ConversionError as exc:
            arguments[param_name] = raw
            problems.append(f"{label}: {exc}")
    return NativeCall(name, arguments, "; ".join(problems) or None), pos


class _NextMatch:
    """Forward searches in one text that reuse their last answer while it still holds.

    Each parameter looks for the next `</parameter>`; when closes are missing, searching afresh
    every time would rescan the rest of the text per parameter (quadratic on hostile input).
    """

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self._text = text
        self._pattern = pattern
        self._searched_from = -1
        self._found: re.Match[str] | None = None

    def search(self, pos: int) -> re.Match[str] | None:
        # The earlier answer is the first match from an earlier start; if it lies at or after
        # `pos`, no match can start between `pos` and it.
        still_valid = self._found is None or self._found.start() >= pos
        if self._searched_from == -1 or self._searched_from > pos or not still_valid:
            self._searched_from = pos
            self._found = self._pattern.search(self._text, pos)
        return self._found


@dataclass(frozen=True)
class _Finders:
    param_close: _NextMatch
    unclosed_param_end: _NextMatch
    open_tag: _NextMatch


def _name_attribute(attrs: str) -> str | None:
    match = _NAME_ATTR.search(attrs)
    if match is None:
        return None
    value = next(group for group in match.groups() if group is not None)
    return value.strip()


def _properties(schemas: object, name: str) -> Mapping[object, object] | None:
    """The tool's property schemas, or None for an unknown tool (or a schema of an odd shape: the
    parser never raises, whatever a caller passes)."""
    schema = schemas.get(name) if is_mapping(schemas) else None
    if not is_mapping(schema):
        return None
    properties = schema.get("properties")
    return properties if is_mapping(properties) else None


# ---------------------------------------------------------------------------------------------
# Values


def _items(value: object) -> Sequence[object] | None:
    """A list's or tuple's items (a schema built in Python may hold tuples), else None."""
    return cast("Sequence[object]", value) if isinstance(value, list | tuple) else None


def _schema_types(schema: Mapping[object, object], depth: int = 0) -> set[str]:
    """The JSON types a property schema allows; empty when it does not say."""
    types: set[str] = set()
    if depth > 8:  # a self-referential schema must not recurse forever
        return types
    declared = schema.get("type")
    if isinstance(declared, str):
        types.add(declared)
    elif (declared_types := _items(declared)) is not None:
        types.update(t for t in declared_types if isinstance(t, str))
    for key in ("anyOf", "oneOf"):
        options = _items(schema.get(key))
        if options is not None:
            for option in options:
                if is_mapping(option):
                    types |= _schema_types(option, depth + 1)
    if not types:
        # An enum or const without a type still says what its values are.
        values = _items(schema.get("enum"))
        if values is None:
            values = [schema["const"]] if "const" in schema else []
        for value in values:
            types.update(json_type for py_type, json_type in _PY_TO_JSON_TYPE if type(value) is py_type)
    if schema.get("nullable") is True:  # OpenAPI's spelling of "or null"
        types.add("null")
    return types


def _convert(raw: str, schema: Mapping[object, object] | None) -> object:
    """Raw parameter text -> a value of the schema's type. Raises _ConversionError.

    Strings are the text exactly as written (the template adds nothing around them); other types
    are parsed from the text without its surrounding whitespace.
    """
    # Type names this module does not know (a typo, "any") say nothing: treat them as absent.
    types: set[str] = _schema_types(schema) & _KNOWN_TYPES if schema is not None else set()
    if not types:
        # No type given: a string, as MiniMax's guide and the reference parsers read it.
        return raw
    text = raw.strip()
    if types <= {"string", "null"}:
        # Text is the common case and never parsed: a number given for a string stays a string.
        if "null" in types and text == "null":
            return None
        return raw
    for json_type in _TYPE_ORDER:
        if json_type in types:
            try:
                return _CONVERTERS[json_type](text)
            except _ConversionError:
                pass
    if "string" in types:
        return raw
    expected = " or ".join(sorted(types))
    raise _ConversionError(f"expected {expected}, got {_shown(text)}")


def _shown(text: str) -> str:
    """Text quoted for an error message, cut short."""
    return repr(text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "...")


def _to_null(text: str) -> None:
    if text != "null":
        raise _ConversionError("not null")


def _to_integer(text: str) -> int:
    if _INTEGER.fullmatch(text):
        return _int(text)
    number = _to_float(text)
    if not number.is_integer():
        raise _ConversionError("not a whole number")
    return int(number)


def _to_number(text: str) -> int | float:
    if _INTEGER.fullmatch(text):
        return _int(text)
    return _to_float(text)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:  # beyond Python's digit limit for int()
        raise _ConversionError(str(exc)) from None


def _to_float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        raise _ConversionError("not a number")
    number = float(text)
    if not math.isfinite(number):
        raise _ConversionError("not a finite number")
    return number


def _to_boolean(text: str) -> bool:
    # JSON's spellings and the ones vLLM and SGLang also accept.
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise _ConversionError("not a boolean")


def _to_array(text: str) -> list[object]:
    value = _loads_container(text)
    if not is_list(value):
        raise _ConversionError("not an array")
    return value


def _to_object(text: str) -> dict[str, object]:
    value = _loads_container(text)
    if not isinstance(value, dict):
        raise _ConversionError("not an object")
    return cast("dict[str, object]", value)  # JSON's or _jsonable's: its keys are strings


_CONVERTERS: dict[str, Callable[[str], object]] = {
    "null": _to_null,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "array": _to_array,
    "object": _to_object,
}


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN and Infinity by default; they are not JSON.
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # 1e999 is JSON syntax but no finite number: it would become inf and could not be sent on as JSON.
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


def _loads_json(text: str) -> object:
    """Strict JSON: no NaN or Infinity, and no number that overflows to infinity, at any depth."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise _ConversionError(str(exc)) from None


def _loads_container(text: str) -> object:
    """JSON, or failing that a Python literal: the model sometimes writes ['a', 'b'] for arrays."""
    try:
        return _loads_json(text)
    except _ConversionError:
        pass
    try:
        # literal_eval only builds literals, it runs nothing; many odd inputs make it raise.
        value = ast.literal_eval(text)
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError and friends
        raise _ConversionError("neither JSON nor a literal") from None
    return _jsonable(value)


def _jsonable(value: object, depth: int = 0) -> object:
    """A literal's value as JSON would have it (tuples -> lists), or _ConversionError."""
    if depth > 200:
        raise _ConversionError("nested too deeply")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _ConversionError("not a finite number")
        return value
    if (items := _items(value)) is not None:
        return [_jsonable(item, depth + 1) for item in items]
    if isinstance(value, dict):
        result: dict[str, object] = {}
        for key, item in cast("dict[object, object]", value).items():
            if not isinstance(key, str):
                raise _ConversionError("object keys must be strings")
            result[key] = _jsonable(item, depth + 1)
        return result
    raise _ConversionError(f"{type(value).__name__} is not a JSON value")
