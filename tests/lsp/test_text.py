"""Lines and positions as LSP counts them (lsp/text.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp.documents import split_lines
from lsp.text import LineIndex, code_units

ENCODINGS = ("utf-8", "utf-16", "utf-32")

# "\u2028" is a line break for str.splitlines but not for LSP; "😀" is two UTF-16 units.
PIECES = ("a", "\r", "\n", "\r\n", "é", "😀", "\u2028")
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def between_cr_and_lf(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


@given(text=texts)
def test_every_offset_outside_a_crlf_pair_round_trips_through_its_position(text: str) -> None:
    index = LineIndex(text)
    for encoding in ENCODINGS:
        for offset in range(len(text) + 1):
            if between_cr_and_lf(text, offset):
                continue
            line, character = index.position(offset, encoding)
            assert index.offset(line, character, encoding) == offset, (encoding, offset)


@given(text=texts)
def test_a_line_never_contains_a_break_and_keeps_the_unicode_line_separator(text: str) -> None:
    index = LineIndex(text)
    lines = [index.line_text(n) for n in range(len(index.starts))]
    assert len(lines) == 1 + text.count("\n") + text.count("\r") - text.count("\r\n")
    assert all("\r" not in line and "\n" not in line for line in lines)
    assert sum(line.count("\u2028") for line in lines) == text.count("\u2028")


@given(text=texts)
def test_positions_never_go_backwards_as_the_offset_grows(text: str) -> None:
    index = LineIndex(text)
    for encoding in ENCODINGS:
        positions = [index.position(o, encoding) for o in range(len(text) + 1)]
        assert positions == sorted(positions)


@given(text=texts)
def test_buffer_lines_agree_with_the_index_except_for_a_final_break(text: str) -> None:
    starts = len(LineIndex(text).starts)
    expected = 0 if not text else starts - 1 if text.endswith(("\r", "\n")) else starts
    assert len(split_lines(text)) == expected


def test_lines_end_at_lf_crlf_and_lone_cr_only() -> None:
    index = LineIndex("one\ntwo\r\nthree\rfour\u2028still four\x0cand\x85more")
    assert [index.line_text(n) for n in range(4)] == [
        "one",
        "two",
        "three",
        "four\u2028still four\x0cand\x85more",
    ]
    assert len(split_lines("one\ntwo\r\nthree\rfour\u2028x")) == 4


@pytest.mark.parametrize(
    ("text", "lines"),
    [("", 0), ("a", 1), ("a\n", 1), ("a\r\n", 1), ("a\r", 1), ("a\n\n", 2), ("\r\n\r", 2), ("a\u2028b", 1)],
)
def test_buffer_lines_count_as_an_editor_numbers_them(text: str, lines: int) -> None:
    assert len(split_lines(text)) == lines


@pytest.mark.parametrize(
    ("text", "utf8", "utf16", "utf32"),
    [("a", 1, 1, 1), ("é", 2, 1, 1), ("€", 3, 1, 1), ("😀", 4, 2, 1), ("a😀é", 7, 4, 3), ("", 0, 0, 0)],
)
def test_code_units_count_each_encoding(text: str, utf8: int, utf16: int, utf32: int) -> None:
    assert (code_units(text, "utf-8"), code_units(text, "utf-16"), code_units(text, "utf-32")) == (
        utf8,
        utf16,
        utf32,
    )


def test_an_unknown_encoding_counts_as_utf16_the_lsp_default() -> None:
    assert code_units("😀", "utf-7") == 2


def test_a_column_after_an_emoji_is_two_utf16_units_wider() -> None:
    index = LineIndex("x\n😀y")
    offset_of_y = 3
    assert index.position(offset_of_y, "utf-16") == (1, 2)
    assert index.position(offset_of_y, "utf-32") == (1, 1)
    assert index.position(offset_of_y, "utf-8") == (1, 4)
    assert index.offset(1, 2, "utf-16") == offset_of_y


def test_a_column_past_the_end_of_a_line_is_clamped_to_that_line() -> None:
    index = LineIndex("ab\r\ncd")
    assert index.offset(0, 99, "utf-16") == 2  # before the \r\n, not after it
    assert index.offset(1, 99, "utf-16") == 6


def test_a_line_past_the_end_is_the_end_of_the_text() -> None:
    index = LineIndex("ab\ncd")
    assert index.offset(7, 0, "utf-16") == 5
    assert index.line_text(7) == ""


def test_the_offset_after_a_final_break_is_on_a_new_empty_line() -> None:
    for text in ("ab\n", "ab\r\n", "ab\r"):
        index = LineIndex(text)
        assert index.position(len(text), "utf-16") == (1, 0)
        assert index.offset(1, 0, "utf-16") == len(text)
