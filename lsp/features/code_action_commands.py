"""Code actions ("Fix with M2", "Explain with M2", "Refactor with M2") and the `m2.*` commands they
carry: offering them never calls the model; running one is a turn whose answer the editor shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pydantic import TypeAdapter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lsp.code_actions import EXPLAIN, FIX, REFACTOR, code_actions, explain_prompt, fix_prompt, refactor_prompt
from lsp.conversation_adapter import ANSWER_SHOWN, EditorConversations
from lsp.editor_setup import EditorSetup
from lsp.link import EditorLink
from lsp.params import ChatParams, DiagnosticItem, EditorRange, parse_arguments
from lsp.state import EditorState

__all__ = ["register_code_actions"]

_DIAGNOSTICS = TypeAdapter(list[DiagnosticItem])
_KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, types.CodeActionKind.Empty]


def register_code_actions(
    server: LanguageServer,
    link: EditorLink,
    setup: EditorSetup,
    state: EditorState,
    conversations: EditorConversations,
    unstructure: Callable[[object], Any],
) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=_KINDS))
    def code_action(
        ls: LanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command]:
        items = _DIAGNOSTICS.validate_python([unstructure(d) for d in params.context.diagnostics])
        state.code_action_asked(
            params.text_document.uri, EditorRange.model_validate(unstructure(params.range)), items
        )
        capability = ls.client_capabilities.text_document
        literals = bool(
            capability and capability.code_action and capability.code_action.code_action_literal_support
        )
        return code_actions(params, literals, unstructure)

    async def command_turn(prompt: str, title: str, *, show_answer: bool) -> dict[str, Any]:
        answer = await conversations.answer(ChatParams(prompt=prompt), title, origin="codeAction")
        text = answer["text"].strip()
        answered = answer["stopReason"] != "cancelled" and answer["error"] is None and (show_answer or text)
        if answered:
            link.log(f"M2 ({answer['sessionId']}):\n{text}", types.MessageType.Info)
        if conversations.shows_turns:  # the editor's chat view shows the turn, its answer and its end
            return answer
        if answer["stopReason"] == "cancelled":
            link.show(f"M2 stopped; what arrived is kept in session {answer['sessionId']}.")
        elif answered:
            shown = text if len(text) <= ANSWER_SHOWN else text[:ANSWER_SHOWN] + "…"
            link.show(f"M2: {shown or '(no answer)'}")
        return answer

    def where(uri: str) -> str:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return setup.show_path(path) if path else uri

    @server.command(FIX)
    async def fix(ls: LanguageServer, *args: object) -> dict[str, Any]:
        uri, diagnostic = parse_arguments(tuple[str, DiagnosticItem], args, FIX)
        state.focus(uri, diagnostic.range)
        raw = diagnostic.model_dump(exclude_none=True)
        return await command_turn(fix_prompt(where(uri), raw), "Fixing with M2", show_answer=False)

    @server.command(EXPLAIN)
    async def explain(ls: LanguageServer, *args: object) -> dict[str, Any]:
        uri, span = parse_arguments(tuple[str, EditorRange], args, EXPLAIN)
        state.focus(uri, span)
        return await command_turn(
            explain_prompt(where(uri), span.model_dump()), "Explaining with M2", show_answer=True
        )

    @server.command(REFACTOR)
    async def refactor(ls: LanguageServer, *args: object) -> dict[str, Any]:
        if len(args) == 2:
            args = (*args, None)
        uri, span, instruction = parse_arguments(tuple[str, EditorRange, str | None], args, REFACTOR)
        state.focus(uri, span)
        prompt = refactor_prompt(where(uri), span.model_dump(), instruction)
        return await command_turn(prompt, "Refactoring with M2", show_answer=False)
