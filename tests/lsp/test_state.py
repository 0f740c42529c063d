"""What the editor told us beyond LSP's document sync (lsp/state.py)."""

from __future__ import annotations

from lsp.params import DiagnosticItem, EditorPosition, EditorRange
from lsp.state import MAX_TRACKED, EditorState


def lines(first: int, last: int) -> EditorRange:
    return EditorRange(
        start=EditorPosition(line=first, character=0), end=EditorPosition(line=last, character=3)
    )


def problem(line: int, message: str = "bad") -> DiagnosticItem:
    return DiagnosticItem(range=lines(line, line), message=message)


A = "file:///a.py"
B = "file:///b.py"


def test_a_code_action_range_stands_in_for_the_selection_of_a_quiet_editor() -> None:
    state = EditorState()
    state.code_action_asked(A, lines(3, 4), [problem(3)])
    assert state.selections[A] == lines(3, 4)
    assert state.diagnostics[A] == [problem(3)]
    assert state.active == A


def test_an_explicit_selection_wins_over_later_code_action_stand_ins() -> None:
    state = EditorState()
    state.selected(A, lines(10, 12))
    state.code_action_asked(A, lines(1, 1), [])
    state.code_action_asked(B, lines(2, 2), [])
    assert state.selections == {A: lines(10, 12)}
    assert state.sends_selection


def test_explicit_diagnostics_win_over_later_code_action_stand_ins() -> None:
    state = EditorState()
    state.diagnosed(A, [problem(1, "from the editor")])
    state.code_action_asked(A, lines(1, 1), [problem(1, "from a code action")])
    assert state.diagnostics[A] == [problem(1, "from the editor")]
    assert state.sends_diagnostics and not state.sends_selection
    assert state.selections[A] == lines(1, 1)  # selections are still stood in for


def test_a_code_action_still_marks_the_file_the_user_works_in() -> None:
    state = EditorState()
    state.selected(A, lines(1, 1))
    state.code_action_asked(B, lines(2, 2), [])
    assert state.active == B


def test_a_command_focus_holds_even_for_an_editor_that_sends_selections() -> None:
    state = EditorState()
    state.selected(A, lines(1, 1))
    state.focus(A, lines(40, 50))
    assert state.selections[A] == lines(40, 50)
    assert state.active == A


def test_closing_a_file_forgets_its_selection_and_that_it_was_active() -> None:
    state = EditorState()
    state.selected(A, lines(1, 1))
    state.selected(B, lines(2, 2))
    state.closed(B)
    assert state.selections == {A: lines(1, 1)}
    assert state.active is None


def test_closing_another_file_keeps_the_active_one() -> None:
    state = EditorState()
    state.selected(A, lines(1, 1))
    state.closed(B)
    assert state.active == A


def test_no_more_than_max_tracked_uris_are_remembered_oldest_forgotten_first() -> None:
    state = EditorState()
    for n in range(MAX_TRACKED + 5):
        state.selected(f"file:///f{n}.py", lines(0, 0))
        state.diagnosed(f"file:///f{n}.py", [])
    assert len(state.selections) == MAX_TRACKED and len(state.diagnostics) == MAX_TRACKED
    assert "file:///f4.py" not in state.selections and "file:///f5.py" in state.selections
    assert f"file:///f{MAX_TRACKED + 4}.py" in state.diagnostics


def test_a_uri_told_again_counts_as_new_and_is_not_forgotten_first() -> None:
    state = EditorState()
    for n in range(MAX_TRACKED):
        state.selected(f"file:///f{n}.py", lines(0, 0))
    state.selected("file:///f0.py", lines(9, 9))
    state.selected("file:///extra.py", lines(0, 0))
    assert state.selections["file:///f0.py"] == lines(9, 9)
    assert "file:///f1.py" not in state.selections
    assert len(state.selections) == MAX_TRACKED
