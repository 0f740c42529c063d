"""Callers' regular expressions (`wait_for`), compiled for RE2 so that no pattern can stall the server.

Python's `re` backtracks: `(a+)+$` against a long line of `a`s followed by `b` runs for seconds to hours,
and the search runs on the event loop, stalling every client. RE2 decides a match with an automaton in
time linear in the text, and supports Python's syntax except what needs backtracking (backreferences,
lookaround, atomic groups, possessive quantifiers, conditionals). Patterns use Python's spelling for what
RE2 writes differently (`\\Z`, `\\uXXXX`, `\\N{name}`, `{,n}`), and errors read like Python's, with what
to write instead when RE2 lacks a feature. The compiled program is capped: its size bounds how much work
RE2's fallback (when its automaton would grow too large) does per byte of a 1 MB buffer.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import re2

from mcp_tools.failure import ToolFailure
from mcp_tools.re2_engine import quiet_options, refusal

__all__ = ["MAX_PATTERN", "MAX_PROGRAM", "LinearPattern", "TextPattern", "compile_pattern"]

MAX_PATTERN = 1000  # characters
# RE2 instructions. Real wait_for patterns use 10 to 100. When RE2 cannot build its automaton (a pattern
# and a text made for that) it falls back to stepping every live thread per byte: at 200 the slowest
# search of a full 1 MB buffer measured 0.8 s, at 1,000 about four.
MAX_PROGRAM = 200


class TextPattern(Protocol):
    """What a process read needs of a pattern (`re.Pattern` has it too)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True)
class LinearPattern:
    """A caller's pattern compiled by RE2: `search` is linear in the text, whatever the pattern."""

    pattern: str
    _search: Callable[[bytes], object | None]

    def search(self, text: str) -> object | None:
        """Something truthy where the pattern occurs in `text`, else None (as `re.Pattern.search`)."""
        # Bytes skip the binding's offset bookkeeping; a lone surrogate (not UTF-8) becomes `?`.
        return self._search(text.encode("utf-8", "replace"))


def compile_pattern(raw: str, what: str = "wait_for") -> LinearPattern:
    """Compile `raw` in multi-line mode (`^` and `$` at every line). Raises ToolFailure with a message
    naming `what` and saying what to write instead."""
    if len(raw) > MAX_PATTERN:
        raise ToolFailure(f"{what} is {len(raw)} characters long; at most {MAX_PATTERN} are allowed")
    options = quiet_options()
    options.never_capture = True  # only "does it occur" is asked; captures slow RE2's search down
    try:
        compiled = re2.compile("(?m)" + _translate(raw, what), options)
    except re2.error as err:
        raise ToolFailure(_explain(raw, what, refusal(err))) from None
    if compiled.programsize > MAX_PROGRAM:
        raise ToolFailure(
            f"{what} is too complex for a linear-time search ({compiled.programsize} steps, at most "
            f"{MAX_PROGRAM}): wait for a shorter, more specific piece of text, e.g. one line's start"
        )
    return LinearPattern(raw, compiled.search)


_HEX = frozenset("0123456789abcdefABCDEF")
_OPEN_COUNT = re.compile(r"\{,([0-9]+)\}")
# Python's octal escapes: any 1-3 digits in a class; outside one, \0.. or three digits (\1 is a group).
_OCTAL_IN_CLASS = re.compile(r"\\([0-7]{1,3})")
_OCTAL = re.compile(r"\\(0[0-7]{0,2}|[0-7]{3})")


def _translate(raw: str, what: str) -> str:
    """Python's spellings that RE2 writes differently, rewritten; everything else passed through."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\":
            piece, i = _escape(raw, i, what)
            out.append(piece)
        elif char == "[":
            end = _class_end(raw, i)
            while i < end:
                piece, i = _escape(raw, i, what, in_class=True) if raw[i] == "\\" else (raw[i], i + 1)
                out.append(piece)
        elif char == "{" and (match := _OPEN_COUNT.match(raw, i)):
            out.append("{0," + match.group(1) + "}")  # Python's {,n}; RE2 would read it literally
            i = match.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _escape(raw: str, i: int, what: str, in_class: bool = False) -> tuple[str, int]:
    """The escape at `raw[i] == "\\"` in RE2's spelling, and the index after it."""
    kind = raw[i + 1 : i + 2]
    octal = (_OCTAL_IN_CLASS if in_class else _OCTAL).match(raw, i)
    if octal:
        return f"\\x{{{int(octal.group(1), 8):x}}}", octal.end()
    width = {"u": 4, "U": 8}.get(kind)
    if kind == "Z":
        return "\\z", i + 2  # Python's end of text; RE2 has no \Z
    if width and len(digits := raw[i + 2 : i + 2 + width]) == width and set(digits) <= _HEX:
        return f"\\x{{{digits}}}", i + 2 + width
    if kind == "N" and raw.startswith("{", i + 2) and (end := raw.find("}", i + 3)) > 0:
        name = raw[i + 3 : end]
        try:
            return f"\\x{{{ord(unicodedata.lookup(name)):x}}}", end + 1
        except KeyError:
            raise ToolFailure(f"{what}: undefined character name {name!r} in \\N{{...}}") from None
    return raw[i : i + 2], i + 2


def _class_end(raw: str, start: int) -> int:
    """The index after the character class opening at `raw[start] == "["` (the end of `raw` when it
    never closes). A `]` first in the class, after any `^`, is a member."""
    j = start + 1
    if raw.startswith("^", j):
        j += 1
    if raw.startswith("]", j):
        j += 1
    while j < len(raw):
        if raw[j] == "\\":
            j += 2
        elif raw[j] == "]":
            return j + 1
        else:
            j += 1
    return len(raw)


# Constructs RE2 cannot run, found outside character classes and escapes: (what it is, what to do).
_UNSUPPORTED: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\\[1-9]|\(\?P="), "a backreference", "match the repeated text itself, e.g. `(ab)ab`"),
    (
        re.compile(r"\(\?<?[=!]"),
        "a lookahead or lookbehind",
        "match the surrounding text itself, e.g. `foo(?=bar)` as `foobar`",
    ),
    (re.compile(r"\(\?>"), "an atomic group", "write `(?:...)`: RE2 never backtracks, so it changes nothing"),
    (
        re.compile(r"(?:[*+?]|\})\+"),
        "a possessive quantifier",
        "drop the extra `+`: RE2 never backtracks, so it changes nothing",
    ),
    (re.compile(r"\(\?\("), "a conditional group", "wait for each alternative with `|` instead"),
    (re.compile(r"\(\?#"), "a comment group", "leave the comment out"),
    (re.compile(r"\(\?[imsLaux-]*[xLau]"), "the flag x, a, L or u", "use only the flags i, m and s"),
)


def _explain(raw: str, what: str, reason: str) -> str:
    """Python's own message when Python rejects it too; else the RE2 feature it uses and what to do."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarnings about nested sets are beside the point here
            re.compile(raw, re.MULTILINE)
    except re.error as err:
        return f"{what} is not a valid regular expression: {err}"
    except (OverflowError, RecursionError):
        return f"{what} is not a valid regular expression: {reason}"
    if reason.startswith("invalid repetition size"):
        return f"{what} repeats more than RE2 allows ({reason}); use counts of at most 1000"
    bare = _outside_classes(raw)
    for finder, feature, instead in _UNSUPPORTED:
        if finder.search(bare):
            return (
                f"{what} uses {feature}, which the server's regex engine does not support (RE2: linear "
                f"time, so no pattern can stall the server); {instead}"
            )
    return f"{what} cannot be used ({reason}); RE2's syntax is Python's without backtracking"


def _outside_classes(raw: str) -> str:
    """`raw` with character classes and escapes blanked, backreferences (`\\1`) kept: a `(?=` or `\\1`
    found in it is the construct itself, not text inside `[...]` or after a backslash."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            pair = raw[i : i + 2]
            out.append(pair if pair[1:] and pair[1] in "123456789" else "__")
            i += 2
        elif raw[i] == "[":
            end = _class_end(raw, i)
            out.append("_" * (end - i))
            i = end
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)
