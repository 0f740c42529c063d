"""What the chat panel sends: `m2/chat` turns, the `m2/context` preview, `m2/sessions` and `m2/session`
(the session it shows, followed for `m2/sessionChanged`),
the `m2.chat`, `m2.newSession` and `m2.stop` commands, and the cancel button of a turn's progress.

`m2.stop` is the chat view's Stop for a turn it did not start (a code action's): the view has no request
of its own to cancel, and no progress token either (the server creates those), so it asks the server to
stop whatever turn runs; each ends as a cancelled turn, with what arrived kept."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp.conversation_adapter import ANSWER_SHOWN, EditorConversations
from lsp.editor_setup import EditorSetup
from lsp.link import EditorLink
from lsp.params import ChatParams, SessionParams, parse_arguments, parse_params
from lsp.session_views import session_list, shown_session

__all__ = ["CHAT_COMMAND", "NEW_SESSION", "STOP", "register_chat_requests"]

NEW_SESSION = "m2.newSession"
CHAT_COMMAND = "m2.chat"
STOP = "m2.stop"


def register_chat_requests(
    server: LanguageServer, link: EditorLink, setup: EditorSetup, conversations: EditorConversations
) -> None:
    @server.feature("m2/chat")
    async def chat(ls: LanguageServer, params: object) -> dict[str, Any]:
        return await conversations.answer(parse_params(ChatParams, params))

    @server.feature("m2/context")
    def context(ls: LanguageServer, params: object) -> dict[str, Any]:
        """The editor-context block the next m2/chat would carry (for a preview, and for the benchmark)."""
        return {"text": conversations.editor_context()}

    @server.feature("m2/sessions")
    async def sessions(ls: LanguageServer, params: object) -> list[dict[str, Any]]:
        return await session_list(conversations.service(), setup.workspace)

    @server.feature("m2/session")
    async def session(ls: LanguageServer, params: object) -> dict[str, Any]:
        session_id, turns, view = await shown_session(
            conversations.service(), parse_params(SessionParams, params).id
        )
        # The editor shows it now: m2/sessionChanged when it grows elsewhere.
        await conversations.live.show(session_id, turns)
        return view

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancelled(ls: LanguageServer, params: types.WorkDoneProgressCancelParams) -> None:
        conversations.cancel_progress(params.token)

    @server.command(CHAT_COMMAND)
    async def chat_command(ls: LanguageServer, *args: object) -> dict[str, Any]:
        if len(args) == 1:
            args = (*args, None)
        prompt, session_id = parse_arguments(tuple[str, str | None], args, CHAT_COMMAND)
        answer = await conversations.answer(
            parse_params(ChatParams, {"prompt": prompt, "sessionId": session_id})
        )
        if answer["error"] is None and answer["text"] and not conversations.shows_turns:
            link.show(f"M2: {answer['text'][:ANSWER_SHOWN]}")
        return answer

    @server.command(STOP)
    def stop(ls: LanguageServer, *args: object) -> dict[str, Any]:
        return {"stopped": conversations.stop_turns()}

    @server.command(NEW_SESSION)
    def new_session(ls: LanguageServer, *args: object) -> dict[str, Any]:
        conversations.new_session()
        return {"sessionId": None}
