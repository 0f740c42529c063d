"""wait_for patterns run on RE2: linear time whatever the pattern, Python's syntax and Python-like errors,
and a clear refusal (with what to write instead) for what needs backtracking."""

from __future__ import annotations

import re
import shlex
import sys
import time

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_tools.failure import ToolFailure
from mcp_tools.terminal.patterns import MAX_PATTERN, MAX_PROGRAM, compile_pattern

PYTHON = shlex.quote(sys.executable)
_MEGABYTE_OF_A = "a" * (1 << 20)


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(a|aa)+$", r"(a|a?)+b", r"(\w+\s?)+$", r"^(a*)*$b", r"(.*a){12}b", r"(?:a+)+\Z"],
)
def test_a_catastrophic_pattern_searches_a_megabyte_in_linear_time(pattern: str) -> None:
    # Python's re needs seconds for `(a+)+$` on a few dozen a's and a `b`; this is a megabyte.
    compiled = compile_pattern(pattern)
    text = _MEGABYTE_OF_A + "b"
    started = time.monotonic()
    compiled.search(text)
    assert time.monotonic() - started < 1.0


def test_multi_line_mode_is_kept_so_anchors_work_at_every_line() -> None:
    output = "booting\r\nready on :8000\r\n>>> "
    assert compile_pattern(r"^ready on :\d+").search(output)
    assert compile_pattern(r">>> $").search(output)
    assert compile_pattern(r"^booting\r$").search(output)
    assert not compile_pattern(r"\Aready").search(output)
    assert compile_pattern(r"(?i)READY").search(output)
    assert not compile_pattern("^ready").search("not ready")


def test_pythons_spellings_mean_what_they_mean_in_python() -> None:
    assert compile_pattern(r"done\Z").search("x\ndone") and not compile_pattern(r"done\Z").search("done\n")
    assert compile_pattern(r"caf\u00e9").search("café") and compile_pattern(r"a\N{EM DASH}b").search("a—b")
    assert compile_pattern(r"^x{,2}y$").search("xxy") and not compile_pattern(r"^x{,2}y$").search("xxxy")
    assert compile_pattern(r"[{,2}]").search(",") and not compile_pattern(r"^[{,2}]$").search("0")
    assert compile_pattern(r"(?P<port>\d+) ready").search("8000 ready")


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"(ab)\1", "uses a backreference"),
        (r"(?P<x>a)(?P=x)", "uses a backreference"),
        (r"foo(?=bar)", "uses a lookahead or lookbehind"),
        (r"(?<!no )ready", "uses a lookahead or lookbehind"),
        (r"(?>a+)b", "uses an atomic group"),
        (r"a++b", "uses a possessive quantifier"),
        (r"(?#why)ready", "uses a comment group"),
        (r"(?x) ready", "uses the flag x"),
    ],
)
def test_what_re2_cannot_run_is_refused_with_what_to_write_instead(pattern: str, says: str) -> None:
    with pytest.raises(ToolFailure) as refused:
        compile_pattern(pattern)
    message = str(refused.value)
    assert message.startswith(f"wait_for {says}") and "RE2" in message
    assert "; " in message.split("server)", 1)[1]  # followed by what to do instead


def test_a_lookalike_inside_a_class_or_after_a_backslash_is_not_mistaken_for_the_feature() -> None:
    assert compile_pattern(r"[(?=]x").search("(x")
    assert compile_pattern(r"\(?=").search("(=")
    assert compile_pattern(r"[\1]").search("\x01")


@pytest.mark.parametrize(
    ("pattern", "python_says"),
    [
        ("(unclosed", "missing ), unterminated subpattern at position 0"),
        ("[z-a]", "bad character range z-a at position 1"),
        ("*a", "nothing to repeat at position 0"),
        ("a)", "unbalanced parenthesis at position 1"),
    ],
)
def test_an_invalid_pattern_gets_pythons_message(pattern: str, python_says: str) -> None:
    with pytest.raises(
        ToolFailure, match=re.escape(f"wait_for is not a valid regular expression: {python_says}")
    ):
        compile_pattern(pattern)


def test_patterns_too_long_or_too_complex_and_oversized_counts_are_refused_clearly() -> None:
    with pytest.raises(ToolFailure, match=f"at most {MAX_PATTERN} are allowed"):
        compile_pattern("x" * (MAX_PATTERN + 1))
    with pytest.raises(ToolFailure, match=f"too complex for a linear-time search .* at most {MAX_PROGRAM}"):
        compile_pattern("a[ab]{300}c")
    with pytest.raises(ToolFailure, match="use counts of at most 1000"):
        compile_pattern("a{2000}")
    with pytest.raises(ToolFailure, match="undefined character name 'NO SUCH'"):
        compile_pattern(r"\N{NO SUCH}")


# Small patterns over a few characters, each piece spelled as Python spells it.
_PIECES = st.sampled_from(
    ["a", "b", ".", "^", "$", r"\n", "[ab]", "[^a]", "(?:a|b)", "a*", "b+", "(?:ab)?", r"\Z", r"\d", "x{,2}"]
)


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=6), texts=st.lists(st.text("ab\n1x"), max_size=6))
def test_re2_finds_what_python_finds_in_multi_line_mode(pieces: list[str], texts: list[str]) -> None:
    pattern = "".join(pieces)
    python, ours = re.compile(pattern, re.MULTILINE), compile_pattern(pattern)
    for text in texts:
        assert bool(ours.search(text)) == bool(python.search(text)), (pattern, text)


async def test_start_process_waits_for_a_catastrophic_pattern_without_stalling(tools) -> None:
    # A line of 40 a's then b: Python's re needs days to decide that `(a+)+$` does not match it (a
    # second at 24 a's, doubling with each further two), on the event loop. One short line arrives
    # in one piece, so the search sees the b.
    command = f"{PYTHON} -c \"print('a' * 40 + 'b')\"; sleep 0.3; echo done; sleep 30"
    with anyio.fail_after(20):
        started = await tools["start_process"].call(
            {"command": command, "wait_for": r"(a+)+$|^done", "timeout": 10}
        )
    assert not started.is_error, started.content
    assert "wait_for '(a+)+$|^done': matched" in started.content
    assert "a" * 40 + "b" in started.content
