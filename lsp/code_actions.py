"""Code actions: "Fix with M2" on a diagnostic, "Explain with M2" and "Refactor with M2" on a selection.

Computing them never calls the model: each carries an `m2.*` command that runs only when chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types

__all__ = ["EXPLAIN", "FIX", "REFACTOR", "code_actions", "explain_prompt", "fix_prompt", "refactor_prompt"]

FIX = "m2.fix"
EXPLAIN = "m2.explain"
REFACTOR = "m2.refactor"
_MAX_FIXES = 5


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == want or kind.startswith(want + ".") for want in only)


def code_actions(
    params: types.CodeActionParams, literals: bool, unstructure: Callable[[object], Any]
) -> list[types.CodeAction | types.Command]:
    uri = params.text_document.uri
    span = unstructure(params.range)
    only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
    offered: list[types.CodeAction] = []
    if _wanted(types.CodeActionKind.QuickFix.value, only):
        for diagnostic in params.context.diagnostics[:_MAX_FIXES]:
            first = (
                diagnostic.message.strip().splitlines()[0] if diagnostic.message.strip() else "this problem"
            )
            title = f"Fix with M2: {first[:60]}{'…' if len(first) > 60 else ''}"
            offered.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    command=types.Command(title=title, command=FIX, arguments=[uri, unstructure(diagnostic)]),
                )
            )
    if params.range.start != params.range.end:
        for title, kind, command in (
            ("Explain with M2", types.CodeActionKind.Empty, EXPLAIN),
            ("Refactor with M2", types.CodeActionKind.RefactorRewrite, REFACTOR),
        ):
            if _wanted(kind.value, only):
                action = types.Command(title=title, command=command, arguments=[uri, span])
                offered.append(types.CodeAction(title=title, kind=kind, command=action))
    if literals:
        return list(offered)
    return [action.command for action in offered if action.command is not None]


def _lines(span: dict[str, Any]) -> str:
    first, last = span["start"]["line"] + 1, span["end"]["line"] + 1
    if span["end"]["character"] == 0 and last > first:
        last -= 1
    return f"line {first}" if first == last else f"lines {first}-{last}"


def fix_prompt(where: str, diagnostic: dict[str, Any]) -> str:
    source = f" (reported by {diagnostic['source']})" if diagnostic.get("source") else ""
    return (
        f"Fix this problem in {where} at {_lines(diagnostic['range'])}{source}: {diagnostic['message']}\n"
        "Make the smallest correct change with edit_file, then say in one or two sentences what you changed."
    )


def explain_prompt(where: str, span: dict[str, Any]) -> str:
    return (
        f"Explain what the selected code in {where} ({_lines(span)}) does and why, briefly and concretely. "
        "Do not change any file."
    )


def refactor_prompt(where: str, span: dict[str, Any], instruction: str | None) -> str:
    goal = (
        instruction.strip()
        if instruction and instruction.strip()
        else "make it clearer, keeping its behaviour"
    )
    return (
        f"Refactor the selected code in {where} ({_lines(span)}): {goal}. Change only what that needs, with "
        "edit_file, then say briefly what you changed."
    )
