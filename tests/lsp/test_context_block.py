"""The editor-context block attached to a chat turn (lsp/context_block.py)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp.buffers import Buffer
from lsp.context_block import DEFAULT_CONTEXT_BUDGET, assemble_context, line_slice
from lsp.documents import OpenDocument, split_lines
from lsp.params import DiagnosticItem, EditorPosition, EditorRange
from lsp.state import EditorState
from lsp.text import LineIndex

HEADER = "Editor context (what the user's editor shows now; context, not the user's words):"


def buffer(name: str, text: str, language: str | None = "python") -> Buffer:
    uri = f"file:///repo/{name}"
    return Buffer(uri=uri, path=f"/repo/{name}", document=OpenDocument.of(uri, text, 1, language))


def span(first: tuple[int, int], last: tuple[int, int]) -> EditorRange:
    return EditorRange(
        start=EditorPosition(line=first[0], character=first[1]),
        end=EditorPosition(line=last[0], character=last[1]),
    )


def problem(line: int, message: str, severity: int = 1) -> DiagnosticItem:
    return DiagnosticItem(range=span((line, 2), (line, 5)), message=message, severity=severity, source="ruff")


def numbered_text(count: int, newline: str = "\n") -> str:
    return newline.join(f"line {n + 1}" for n in range(count)) + newline


def show(path: str) -> str:
    return path.removeprefix("/repo/")


def context(
    state: EditorState,
    buffers: Iterable[Buffer],
    *,
    dirty: Iterable[str] = (),
    budget: int = DEFAULT_CONTEXT_BUDGET,
) -> str | None:
    dirty_uris = set(dirty)
    return assemble_context(state, buffers, show=show, unsaved=lambda b: b.uri in dirty_uris, budget=budget)


def test_no_open_buffers_is_no_context_whatever_the_state_says() -> None:
    state = EditorState()
    state.selected("file:///repo/gone.py", span((1, 0), (2, 0)))
    state.diagnosed("file:///repo/gone.py", [problem(1, "x")])
    assert context(state, []) is None


def test_the_block_names_the_active_file_its_language_and_length() -> None:
    block = context(EditorState(), [buffer("main.py", "a\r\nb\rc\n")])
    assert block is not None
    assert block.splitlines()[0] == HEADER
    assert "Active file: main.py (python; 3 lines)" in block
    assert "unsaved" not in block


def test_the_block_marks_unsaved_changes_in_the_active_and_other_files() -> None:
    main, other = buffer("main.py", "x\n"), buffer("util.py", "y\n")
    state = EditorState()
    state.touched(main.uri)
    block = context(state, [main, other], dirty=[main.uri, other.uri])
    assert block is not None
    assert "unsaved changes: the copy on disk is older" in block
    assert "Other open files: util.py (unsaved changes)" in block


def test_the_block_names_the_selection_lines_and_shows_their_numbered_text() -> None:
    main = buffer("main.py", numbered_text(30))
    state = EditorState()
    state.selected(main.uri, span((4, 2), (7, 0)))  # ends at column 0: line 8 is not selected
    block = context(state, [main])
    assert block is not None
    assert "Selection: lines 5-7" in block
    assert "     5\tline 5\n     6\tline 6\n     7\tline 7" in block
    assert "line 4" not in block and "line 8" not in block


def test_a_cursor_shows_the_lines_around_it() -> None:
    main = buffer("main.py", numbered_text(100))
    state = EditorState()
    state.selected(main.uri, span((49, 3), (49, 3)))
    block = context(state, [main])
    assert block is not None
    assert "Cursor: line 50, column 4" in block
    shown = [line.split("\t")[1] for line in block.splitlines() if "\t" in line]
    assert shown == [f"line {n}" for n in range(40, 61)]


def test_a_long_selection_shows_its_first_400_lines_and_says_how_many_more() -> None:
    main = buffer("main.py", numbered_text(1000))
    state = EditorState()
    state.selected(main.uri, span((0, 0), (499, 4)))
    block = context(state, [main], budget=10**6)
    assert block is not None
    assert "Selection: lines 1-500" in block
    assert "   400\tline 400" in block and "line 401" not in block
    assert "[... 100 more selected lines; read_file to see them]" in block


def test_only_diagnostics_within_20_lines_of_the_selection_are_shown_nearest_first() -> None:
    main = buffer("main.py", numbered_text(200))
    state = EditorState()
    state.selected(main.uri, span((100, 0), (101, 5)))
    state.diagnosed(
        main.uri,
        [
            problem(50, "far above"),
            problem(79, "just too far above"),
            problem(121, "twenty below", severity=2),
            problem(110, "nine below"),
            problem(95, "five above"),
            problem(100, "inside", severity=3),
            problem(122, "just too far below"),
        ],
    )
    block = context(state, [main])
    assert block is not None
    after = block.split("Diagnostics near the selection:\n", 1)[1].splitlines()
    assert after == [
        "  101:3 info (ruff): inside",
        "  96:3 error (ruff): five above",
        "  111:3 error (ruff): nine below",
        "  122:3 warning (ruff): twenty below",
    ]


def test_without_a_selection_diagnostics_are_shown_worst_first() -> None:
    main = buffer("main.py", numbered_text(10))
    state = EditorState()
    state.diagnosed(main.uri, [problem(1, "a hint", severity=4), problem(8, "an error\nsecond line")])
    block = context(state, [main])
    assert block is not None
    after = block.split("Diagnostics in this file:\n", 1)[1].splitlines()
    assert after == ["  9:3 error (ruff): an error", "  2:3 hint (ruff): a hint"]


def test_the_users_active_file_is_chosen_over_the_most_recently_opened() -> None:
    first, second = buffer("first.py", "1\n"), buffer("second.py", "2\n")
    state = EditorState()
    state.touched(first.uri)
    block = context(state, [first, second])
    assert block is not None
    assert "Active file: first.py" in block and "Other open files: second.py" in block


def test_without_an_open_active_file_the_last_buffer_is_active() -> None:
    first, second = buffer("first.py", "1\n"), buffer("second.py", "2\n")
    state = EditorState()
    state.touched("file:///repo/closed.py")
    block = context(state, [first, second])
    assert block is not None
    assert "Active file: second.py" in block and "Other open files: first.py" in block


def test_at_most_30_other_files_are_named() -> None:
    buffers = [buffer(f"f{n}.py", "") for n in range(40)]
    block = context(EditorState(), buffers)
    assert block is not None
    assert "f29.py and 9 more" in block and "f30.py" not in block
    assert "Active file: f39.py (python; 0 lines)" in block


def test_a_buffer_without_a_language_is_text() -> None:
    block = context(EditorState(), [buffer("notes", "hi", language=None)])
    assert block is not None and "Active file: notes (text; 1 lines)" in block


def test_the_block_is_cut_to_the_budget_keeping_its_head_and_tail() -> None:
    main = buffer("main.py", numbered_text(300))
    state = EditorState()
    state.selected(main.uri, span((0, 0), (299, 6)))
    state.diagnosed(main.uri, [problem(5, "the last thing in the block")])
    whole = context(state, [main], budget=10**6)
    block = context(state, [main], budget=1200)
    assert whole is not None and block is not None and len(whole) > 1200
    marker = "\n[... editor context cut to 1200 characters ...]\n"
    room = 1200 - len(marker)
    assert len(block) == 1200  # the marker counts against the budget
    assert block == whole[: room - room // 3] + marker + whole[len(whole) - room // 3 :]
    assert block.startswith(HEADER) and block.endswith("the last thing in the block")


def test_a_block_within_the_budget_is_not_cut() -> None:
    block = context(EditorState(), [buffer("main.py", "x\n")], budget=len(HEADER) + 200)
    assert block is not None and "cut to" not in block


def test_a_tiny_budget_never_makes_the_block_longer() -> None:
    whole = context(EditorState(), [buffer("main.py", numbered_text(50))], budget=10**6)
    block = context(EditorState(), [buffer("main.py", numbered_text(50))], budget=2)
    assert whole is not None and block is not None
    assert len(block) < len(whole)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_selection_near_the_end_of_a_50000_line_buffer_shows_the_right_lines(newline: str) -> None:
    main = buffer("big.py", numbered_text(50_000, newline))
    state = EditorState()
    state.selected(main.uri, span((49_990, 0), (49_992, 9)))
    block = context(state, [main])
    assert block is not None
    assert "(python; 50000 lines)" in block
    assert "Selection: lines 49991-49993" in block
    assert " 49991\tline 49991\n 49992\tline 49992\n 49993\tline 49993" in block
    assert "line 49990" not in block and "line 49994" not in block


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_slice_of_a_50000_line_text_takes_the_asked_lines(newline: str) -> None:
    lines = split_lines(numbered_text(50_000, newline))
    assert line_slice(lines, 49_997, 49_999) == ["line 49998", "line 49999", "line 50000"]
    assert line_slice(lines, 0, 1) == ["line 1", "line 2"]
    assert line_slice(lines, 49_999, 60_000) == ["line 50000"]
    assert line_slice(lines, 5, 4) == []


texts = st.lists(st.sampled_from(("a", "é", "\n", "\r", "\r\n", "\u2028")), max_size=30).map("".join)


@given(text=texts, first=st.integers(0, 12), count=st.integers(0, 12))
def test_lines_and_slices_agree_with_lsp_line_rules_with_or_without_cr(
    text: str, first: int, count: int
) -> None:
    index = LineIndex(text)
    # The index numbers the empty line after a final break too; an editor's buffer has no such line.
    numbered = len(index.starts) - (1 if text.endswith(("\n", "\r")) or not text else 0)
    last = first + count - 1
    expected = [index.line_text(n) for n in range(first, min(last + 1, numbered))]
    assert line_slice(split_lines(text), first, last) == expected
