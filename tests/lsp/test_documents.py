"""The document store (lsp/documents.py): incremental changes by LSP's line rules, in every encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lsp.documents import OpenDocument, split_lines
from lsp.text import LineIndex

ENCODINGS = ("utf-16", "utf-8", "utf-32")
pieces = st.sampled_from(("a", "bc", "é", "😀", "\n", "\r", "\r\n", "\u2028", "\x0c", "\t"))
texts = st.lists(pieces, max_size=25).map("".join)


def reference_change(text: str, start: tuple[int, int], end: tuple[int, int], new: str, encoding: str) -> str:
    """The same change on the whole string, through offsets (clamped like the spec asks)."""
    index = LineIndex(text)
    low, high = sorted((index.offset(*start, encoding), index.offset(*end, encoding)))
    return text[:low] + new + text[high:]


@settings(max_examples=400)
@given(
    text=texts,
    changes=st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 6), st.integers(0, 8), st.integers(0, 6), texts),
        min_size=1,
        max_size=6,
    ),
    encoding=st.sampled_from(ENCODINGS),
)
def test_incremental_changes_give_the_text_a_whole_string_splice_gives(
    text: str, changes: list[tuple[int, int, int, int, str]], encoding: str
) -> None:
    document = OpenDocument.of("file:///a.py", text, 1, "python")
    expected = text
    for line_a, char_a, line_b, char_b, new in changes:
        start, end = sorted(((line_a, char_a), (line_b, char_b)))
        expected = reference_change(expected, start, end, new, encoding)
        document.change(start, end, new, encoding)
        assert document.text == expected
        assert document.lines == split_lines(expected)


def test_u2028_and_form_feed_are_not_line_breaks_in_lsp() -> None:
    document = OpenDocument.of("file:///a.js", 's = "a\u2028b"\x0c\nnext\n', 1, "javascript")
    assert len(document.lines) == 2
    document.change((1, 0), (1, 4), "NEXT", "utf-16")
    assert document.text == 's = "a\u2028b"\x0c\nNEXT\n'


def test_a_cr_and_a_following_lf_join_into_one_break() -> None:
    document = OpenDocument.of("file:///a.txt", "one\rtwo\n", 1, None)
    assert document.lines == ["one\r", "two\n"]
    document.change((1, 0), (1, 3), "\n", "utf-16")  # "one\r" + "\n\n": the first \n joins the \r
    assert document.lines == ["one\r\n", "\n"]


def test_columns_past_an_emoji_count_in_the_clients_units() -> None:
    for encoding, column in (("utf-16", 3), ("utf-8", 5), ("utf-32", 2)):
        document = OpenDocument.of("file:///a.txt", "😀ab\n", 1, None)
        document.change((0, column), (0, column), "X", encoding)
        assert document.text == "😀aXb\n", encoding


def test_a_change_past_the_end_appends() -> None:
    document = OpenDocument.of("file:///a.txt", "a\n", 1, None)
    document.change((5, 0), (9, 9), "b\n", "utf-16")
    assert document.text == "a\nb\n"
