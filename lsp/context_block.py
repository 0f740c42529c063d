"""The editor-context block attached to a chat turn: active file, selection, nearby diagnostics, other
open files. Stored in the session as context, not as the user's words, and kept within a budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from lsp.buffers import Buffer
from lsp.params import DiagnosticItem, EditorRange
from lsp.state import EditorState

__all__ = ["DEFAULT_CONTEXT_BUDGET", "assemble_context", "line_slice"]

DEFAULT_CONTEXT_BUDGET = 12_000
_AROUND_CURSOR = 10
_NEAR = 20
_MAX_DIAGNOSTICS = 20
_MAX_SELECTED_LINES = 400
_MAX_OTHER_FILES = 30
_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def line_slice(lines: Sequence[str], first: int, last: int) -> list[str]:
    """Lines first..last (0-based, inclusive) without their breaks."""
    if last < first:
        return []
    return [line.rstrip("\r\n") for line in lines[first : last + 1]]


def _numbered(lines: Iterable[str], first: int, width: int = 300) -> list[str]:
    out: list[str] = []
    for number, line in enumerate(lines, start=first + 1):
        body = line if len(line) <= width else line[:width] + " …"
        out.append(f"{number:>6}\t{body}")
    return out


def _diagnostic_line(item: DiagnosticItem) -> str:
    where = f"{item.range.start.line + 1}:{item.range.start.character + 1}"
    kind = _SEVERITY.get(item.severity or 1, "error")
    source = f" ({item.source}{' ' + str(item.code) if item.code is not None else ''})" if item.source else ""
    message = item.message.strip().splitlines()[0] if item.message.strip() else ""
    return f"  {where} {kind}{source}: {message[:300]}"


def _near(items: list[DiagnosticItem], selection: EditorRange | None) -> list[DiagnosticItem]:
    if selection is None:
        return sorted(items, key=lambda d: (d.severity or 1, d.range.start.line))[:_MAX_DIAGNOSTICS]
    low, high = selection.first_line(), selection.last_line()

    def distance(item: DiagnosticItem) -> int:
        line = item.range.start.line
        return 0 if low <= line <= high else min(abs(line - low), abs(line - high))

    close = [d for d in items if distance(d) <= _NEAR]
    return sorted(close, key=lambda d: (distance(d), d.severity or 1))[:_MAX_DIAGNOSTICS]


def assemble_context(
    state: EditorState,
    buffers: Iterable[Buffer],
    *,
    show: Callable[[str], str],
    unsaved: Callable[[Buffer], bool],
    budget: int = DEFAULT_CONTEXT_BUDGET,
) -> str | None:
    """The block for the next turn, or None when the editor has told us nothing worth sending."""
    open_buffers = {b.uri: b for b in buffers}
    active_uri = state.active if state.active in open_buffers else None
    if active_uri is None and open_buffers:
        active_uri = next(reversed(open_buffers))
    parts: list[str] = []
    if active_uri is not None:
        parts += _active_file(state, open_buffers[active_uri], show, unsaved)
    others = [b for uri, b in open_buffers.items() if uri != active_uri]
    if others:
        names = [
            show(b.path) + (" (unsaved changes)" if unsaved(b) else "") for b in others[:_MAX_OTHER_FILES]
        ]
        more = f" and {len(others) - _MAX_OTHER_FILES} more" if len(others) > _MAX_OTHER_FILES else ""
        parts.append(f"Other open files: {', '.join(names)}{more}")
    if not parts:
        return None
    header = "Editor context (what the user's editor shows now; context, not the user's words):"
    return _fit("\n".join([header, *parts]), budget)


def _active_file(
    state: EditorState, buffer: Buffer, show: Callable[[str], str], unsaved: Callable[[Buffer], bool]
) -> list[str]:
    dirty = unsaved(buffer)
    lines = buffer.lines
    facts = [buffer.language_id or "text", f"{len(lines)} lines"]
    if dirty:
        facts.append("unsaved changes: the copy on disk is older; read_file sees the editor's text")
    parts = [f"Active file: {show(buffer.path)} ({'; '.join(facts)})"]
    selection = state.selections.get(buffer.uri)
    if selection is not None and not selection.empty:
        first, last = selection.first_line(), selection.last_line()
        shown_last = min(last, first + _MAX_SELECTED_LINES - 1)
        parts.append(f"Selection: lines {first + 1}-{last + 1}")
        parts += _numbered(line_slice(lines, first, shown_last), first)
        if shown_last < last:
            parts.append(f"[... {last - shown_last} more selected lines; read_file to see them]")
    elif selection is not None:
        line = selection.start.line
        parts.append(f"Cursor: line {line + 1}, column {selection.start.character + 1}")
        first = max(0, line - _AROUND_CURSOR)
        parts += _numbered(line_slice(lines, first, line + _AROUND_CURSOR), first)
    near = _near(state.diagnostics.get(buffer.uri, []), selection)
    if near:
        where = "near the selection" if selection is not None else "in this file"
        parts.append(f"Diagnostics {where}:")
        parts += [_diagnostic_line(d) for d in near]
    return parts


def _fit(text: str, budget: int) -> str:
    """At most `budget` characters, marker included: the head and the tail, the middle left out."""
    if len(text) <= budget:
        return text
    marker = f"\n[... editor context cut to {budget} characters ...]\n"
    room = budget - len(marker)
    if room < 3:
        return text[:budget]
    tail = room // 3
    return text[: room - tail] + marker + text[len(text) - tail :]
