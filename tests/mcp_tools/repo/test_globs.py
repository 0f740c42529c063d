"""find_files' glob matcher: gitignore-style rules, the same answers as the translation it replaces, and
time linear in the path for globs that made the old backtracking regex run for hours."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mcp_tools.failure import ToolFailure
from mcp_tools.repo.globs import MAX_GLOB, _build, glob_matcher


def _backtracking_reference(pattern: str) -> Callable[[str], bool]:
    """The translation find_files used before (a backtracking Python regex), verbatim: the reference for
    what a glob means. Its one flaw besides speed: a negated class also matched `/`."""
    anchored = "/" in pattern.strip("/")
    parts: list[str] = []
    i = 0
    text = pattern.strip("/")
    while i < len(text):
        if text.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            parts.append(".*")
            i += 2
        elif text[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif text[i] == "?":
            parts.append("[^/]")
            i += 1
        elif text[i] == "[" and "]" in text[i + 1 :]:
            end = text.index("]", i + 1)
            body = text[i + 1 : end].replace("\\", "\\\\")
            parts.append(f"[^{body[1:]}]" if body.startswith("!") else f"[{body}]")
            i = end + 1
        else:
            parts.append(re.escape(text[i]))
            i += 1
    compiled = re.compile("".join(parts) + r"\Z")
    if anchored:
        return lambda path: compiled.match(path) is not None
    return lambda path: compiled.match(path.rsplit("/", 1)[-1]) is not None


def test_glob_matcher_follows_gitignore_style_rules() -> None:
    assert glob_matcher("*.py")("deep/down/x.py")
    assert not glob_matcher("*.py")("x.pyc")
    assert glob_matcher("src/**/*.ts")("src/a/b/c.ts") and glob_matcher("src/**/*.ts")("src/c.ts")
    assert not glob_matcher("src/*.ts")("src/a/c.ts")
    assert glob_matcher("**/test_*")("tests/unit/test_x.py")
    assert glob_matcher("/src/*.ts")("src/c.ts") and not glob_matcher("/src/*.ts")("lib/src/c.ts")
    assert glob_matcher("src/**")("src/a/b/c") and not glob_matcher("src/**")("lib/src/c")
    assert glob_matcher("a/**/b/**/c")("a/x/b/y/z/c") and glob_matcher("a/**/b/**/c")("a/b/c")
    assert not glob_matcher("a/**/b/**/c")("a/b/x/c/d")
    assert glob_matcher("file?.[ch]")("file1.c") and not glob_matcher("file?.[!ch]")("file1.c")
    assert glob_matcher("file?.[^ch]")("file1.o") and glob_matcher("[a-c]x")("bx")


def test_a_class_never_matches_a_slash_and_a_slash_only_class_matches_nothing() -> None:
    assert not glob_matcher("a[!x]b")("a/b") and not glob_matcher("a?b")("a/b")
    assert not glob_matcher("a[+-0]b")("a/b") and glob_matcher("a[+-0]b")("a.b")
    assert not glob_matcher("a[/]b")("a/b") and not glob_matcher("a[/]b")("ab")


def test_brackets_that_never_close_are_ordinary_and_a_leading_bracket_is_a_member() -> None:
    assert glob_matcher("x[ab")("x[ab") and not glob_matcher("x[ab")("xa")
    assert glob_matcher("[]a]x")("]x") and glob_matcher("[]a]x")("ax")
    assert glob_matcher("[!]a]x")("bx") and not glob_matcher("[!]a]x")("]x")
    assert glob_matcher("a\\b")("a\\b") and glob_matcher("[\\]")("\\")


def test_a_backwards_range_is_refused_with_the_fix() -> None:
    with pytest.raises(ToolFailure, match="runs backwards; write a-z"):
        glob_matcher("[z-a].py")


def test_a_glob_longer_than_the_limit_is_refused() -> None:
    glob_matcher("*" + "a" * (MAX_GLOB - 1))
    with pytest.raises(ToolFailure, match=f"at most {MAX_GLOB}"):
        glob_matcher("*" + "a" * MAX_GLOB)


# Hostile globs against the names and depths that make a backtracking matcher try every split.
_LONG_NAME = "a" * 115
_DEEP = "a/" * 1500 + "a" * 200
_HOSTILE = [
    ("*a*a*a*a*a*a*a*a*b", _LONG_NAME),
    ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "d/" + "a" * 250),
    ("**/*a*a*a*a*a*a*a*a*b", "x/y/" + _LONG_NAME),
    ("**/a*a*a*a*a*a*a*a*b", _DEEP),
    ("d/**a*a*a*a*a*a*a*a*b", "d/" + _DEEP),
    ("**/a**a**a**a**a**a**b", _DEEP),
    ("a/**/a/**/a/**/a/**/a/**/b", _DEEP),
    ("**/a/a/a/a/a/a/a/a/a/a/b", _DEEP),
    ("*a*a*a*a*a*a*a*a*b/**/x", _LONG_NAME + "/" + _DEEP),
    ("a*a*a*a*a*a*a*a**/b", _LONG_NAME + "/" + _LONG_NAME),
    ("[a]*[a]*[!b]*?*[a-b]*a*a*a*b", _LONG_NAME),
]


@pytest.mark.parametrize(("pattern", "path"), _HOSTILE, ids=[p for p, _ in _HOSTILE])
@pytest.mark.parametrize("engine", ["chosen", "re2"])
def test_a_hostile_glob_matches_a_long_path_in_linear_time(pattern: str, path: str, engine: str) -> None:
    # The old translation needed seconds for `*a*a*a*a*a*a*b` on 115 a's and about 15 times more per
    # extra `*a`; the bound is generous because a linear matcher needs microseconds.
    matches = _build(pattern, force_re2=engine == "re2")
    started = time.monotonic()
    for _ in range(10):
        assert not matches(path)
    assert time.monotonic() - started < 1.0


# Small globs and paths over few characters, so that matches are frequent and every construct meets
# every other: stars of all three kinds next to classes, literals and `/`.
_PIECES = st.sampled_from(["a", "b", ".", "/", "*", "**", "**/", "?", "[ab]", "[!a]", "[a-b]", "[^.]"])
_GLOBS = st.lists(_PIECES, max_size=8).map("".join)
_PATHS = st.lists(st.sampled_from(["a", "b", ".", "/", "ab", "ba", "a/"]), max_size=10).map("".join)
# Raw strings exercise the tokenizer on malformed brackets and odd characters (no `/`: a class holding
# one is the deliberate difference shown above).
_RAW_GLOBS = st.text(alphabet="ab*?[]!^-\\.", max_size=10)


def _with_slash_excluded(pattern: str) -> str:
    """The same glob for the reference, whose negated classes would otherwise also match `/`. (A glob
    without `/` is matched against a name, which holds none; adding one would anchor it.)"""
    if "/" not in pattern.strip("/"):
        return pattern
    return pattern.replace("[!", "[!/").replace("[^", "[^/")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_GLOBS, paths=st.lists(_PATHS, min_size=1, max_size=8))
def test_globs_answer_as_the_backtracking_translation_did(pattern: str, paths: list[str]) -> None:
    reference = _backtracking_reference(_with_slash_excluded(pattern))
    ours = glob_matcher(pattern)
    for path in paths:
        assert ours(path) == reference(path), (pattern, path)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_RAW_GLOBS, paths=st.lists(_PATHS, min_size=1, max_size=8))
def test_malformed_globs_answer_as_the_backtracking_translation_did(pattern: str, paths: list[str]) -> None:
    # `[]...`: ours takes the `]` as a member; the old regex read on into the rest of the glob.
    assume(not any(empty in pattern for empty in ("[]", "[!]", "[^]")))
    try:
        reference = _backtracking_reference(_with_slash_excluded(pattern))
    except (re.error, FutureWarning):
        assume(False)  # the old translation crashed on it; ours either answers or refuses clearly
    try:
        ours = glob_matcher(pattern)
    except ToolFailure:
        assume(False)  # a backwards range the reference happened to accept as another construct
    for path in paths:
        assert ours(path) == reference(path), (pattern, path)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_GLOBS, paths=st.lists(_PATHS, min_size=1, max_size=8))
def test_python_re_and_re2_give_the_same_answers(pattern: str, paths: list[str]) -> None:
    fast, linear = glob_matcher(pattern), _build(pattern, force_re2=True)
    for path in paths:
        assert fast(path) == linear(path), (pattern, path)


_STARRY = st.lists(
    st.sampled_from(["a", "aa", "*", "**", "**/", "/", "?", "[a]", "[!b]", "*a", "a*"]),
    min_size=4,
    max_size=24,
).map("".join)
_NEAR_MISSES = ["a" * 250, ("a" * 60 + "/") * 30 + "b", ("a" * 200 + "/") * 10 + "c"]


@settings(max_examples=200, deadline=None)
@given(pattern=_STARRY)
def test_no_glob_of_many_stars_takes_long_on_paths_that_almost_match(pattern: str) -> None:
    # Names and depths of a's that every star can claim, ending in what the glob may not allow: the
    # case where a backtracking matcher tries every split. (A hunt over 20,000 such globs: 0.5 ms at most.)
    matches = glob_matcher(pattern)
    started = time.monotonic()
    for path in _NEAR_MISSES:
        matches(path)
    assert time.monotonic() - started < 1.0
