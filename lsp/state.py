"""What the editor told us beyond LSP's document sync: selections, diagnostics, the active file.

LSP itself gives a server neither the user's selection nor other servers' diagnostics. Editors that send
`m2/selection` and `m2/diagnostics` are believed; for the others, the range and diagnostics of each
code-action request stand in (editors ask for code actions where the cursor is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from lsp.params import DiagnosticItem, EditorRange

__all__ = ["EditorState"]

# A hostile or buggy client could name endless URIs; the oldest are forgotten past this many.
MAX_TRACKED = 2000

Value = TypeVar("Value")


class EditorState:
    def __init__(self) -> None:
        self.selections: dict[str, EditorRange] = {}
        self.diagnostics: dict[str, list[DiagnosticItem]] = {}
        self.active: str | None = None
        self.sends_selection = False
        self.sends_diagnostics = False

    def touched(self, uri: str) -> None:
        """The user is working in `uri` (opened, typed, selected, asked for actions)."""
        self.active = uri

    def selected(self, uri: str, selection: EditorRange, *, explicit: bool = True) -> None:
        if explicit:
            self.sends_selection = True
        elif self.sends_selection:
            return
        _put(self.selections, uri, selection)
        self.touched(uri)

    def diagnosed(self, uri: str, items: Sequence[DiagnosticItem], *, explicit: bool = True) -> None:
        if explicit:
            self.sends_diagnostics = True
        elif self.sends_diagnostics:
            return
        _put(self.diagnostics, uri, list(items))

    def focus(self, uri: str, selection: EditorRange) -> None:
        """A command names the range it is about: it holds for the coming turn, whatever else was said."""
        _put(self.selections, uri, selection)
        self.touched(uri)

    def code_action_asked(self, uri: str, selection: EditorRange, items: Sequence[DiagnosticItem]) -> None:
        self.selected(uri, selection, explicit=False)
        self.diagnosed(uri, items, explicit=False)
        self.touched(uri)

    def closed(self, uri: str) -> None:
        self.selections.pop(uri, None)
        if self.active == uri:
            self.active = None


def _put(table: dict[str, Value], uri: str, value: Value) -> None:
    table.pop(uri, None)
    table[uri] = value
    while len(table) > MAX_TRACKED:
        del table[next(iter(table))]
