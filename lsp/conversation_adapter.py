"""The editor's side of a conversation: `m2/chat` turns run through the engine's conversation service,
with the editor's approver (window/showMessageRequest), its event sink (m2/chatDelta and progress) and
its encoder (camelCase). The tools see the editor's buffers and write through workspace/applyEdit.

Every turn, whoever asked for it (`m2/chat`, the `m2.chat` command, a code action's command), goes
through `EditorConversations.answer`. To an editor that shows turns itself (`experimental.m2Turns`) it
is announced there: `m2/turnStarted` before it runs and exactly one `m2/turnEnded` after, also when it
fails or is cancelled, so a chat view never waits for an end that does not come. Such an editor shows
answers and errors in its view, so it gets no toast for them."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp.advice import error_message
from lsp.approval import EditorApprover
from lsp.buffers import Buffers, unsaved
from lsp.context_block import assemble_context
from lsp.deltas import DeltaRelay
from lsp.editor_setup import EditorSetup
from lsp.editor_workspace import EditorWorkspace
from lsp.link import EditorLink, Progress
from lsp.live_session import LiveSession
from lsp.params import ChatParams
from lsp.state import EditorState
from m2bridge.agent import TurnResult
from m2bridge.conversation import Conversation, ConversationService, TurnControl, turn_to_camel
from m2bridge.errors import M2BridgeError, SessionNotFound
from m2bridge.messages import ContextTurn
from m2bridge.sandbox_choice import SandboxChoice
from m2bridge.tools import Tool

__all__ = [
    "ANSWER_SHOWN",
    "EDITOR_NOTE",
    "SETTINGS_WAIT",
    "TURN_ENDED",
    "TURN_STARTED",
    "EditorConversations",
    "ServerOptions",
    "TurnOrigin",
]

TURN_STARTED = "m2/turnStarted"
TURN_ENDED = "m2/turnEnded"
# Who asked for a turn: the chat box (m2/chat, m2.chat) or a code action (m2.fix, m2.explain, m2.refactor).
TurnOrigin = Literal["chat", "codeAction", "command"]

EDITOR_NOTE = (
    "You are running inside the user's editor. read_file sees the editor's text, unsaved changes "
    "included. write_file and edit_file reach the editor as edits the user can review and undo; the "
    "result of each says whether the file was saved. Each user message may be preceded by a block of "
    "editor context (active file, selection, diagnostics): it is what the editor shows, not the user's words."
)

SETTINGS_WAIT = 10.0
# How much of an answer a window/showMessage carries (the log gets all of it).
ANSWER_SHOWN = 4000


@dataclass(frozen=True)
class ServerOptions:
    read_only: bool = False
    no_terminal: bool = False
    sandbox: SandboxChoice = field(default_factory=SandboxChoice)  # what --sandbox and --allow-network chose


class EditorConversations:
    def __init__(
        self,
        link: EditorLink,
        buffers: Buffers,
        state: EditorState,
        setup: EditorSetup,
        options: ServerOptions,
    ) -> None:
        self.link = link
        self.buffers = buffers
        self.state = state
        self.setup = setup
        self.options = options
        self.current_session: str | None = None
        self._service: ConversationService | None = None
        self._approvers: dict[str, EditorApprover] = {}
        self._last_context: dict[str, str] = {}
        self._progress: dict[str | int, Progress] = {}
        self._running: set[TurnControl] = set()
        # m2/sessionChanged for the session the editor shows, when it grows elsewhere.
        self.live = LiveSession(link.notify, lambda: self.service().sessions.store())

    # The service ------------------------------------------------------------------------------------
    def service(self) -> ConversationService:
        """The one service of this server, following the editor's latest settings and folders."""
        if self._service is None:
            self._service = ConversationService(
                self.setup.settings,
                self.setup.workspace,
                owner=f"lsp:{os.getpid()}",
                tools=self._open_tools,
                note=EDITOR_NOTE,
            )
        self._service.settings, self._service.workspace = self.setup.settings, self.setup.workspace
        self._service.note = "\n\n".join(filter(None, (EDITOR_NOTE, self.setup.sandbox_note())))
        return self._service

    def _open_tools(self) -> AbstractAsyncContextManager[Sequence[Tool]]:
        from mcp_tools.engine_tools import open_engine_tools  # the server is a surface: it may use the tools

        def files(roots: tuple[str, ...]) -> EditorWorkspace:
            return EditorWorkspace(roots, self.buffers, self.link)

        def warn(text: str) -> None:
            self.link.show(f"m2bridge: {text}", types.MessageType.Warning)

        setup = self.setup
        return open_engine_tools(
            setup.settings,
            setup.workspace,
            warn,
            roots=setup.roots,
            files=files,
            read_only=self.options.read_only,
            no_terminal=self.options.no_terminal,
        )

    def folders_changed(self) -> None:
        """The tools are rebuilt for the next turn; the old set's processes live until shutdown."""
        if self._service is not None:
            self._service.tools.reopen()

    async def close(self) -> None:
        """Stop following the shown session; kill every process the tools started and close the model
        clients and the store."""
        await self.live.close()
        if self._service is not None:
            service, self._service = self._service, None
            await service.aclose()

    # Turns ------------------------------------------------------------------------------------------
    def new_session(self) -> None:
        self.current_session = None
        self.live.hide()

    def editor_context(self) -> str | None:
        return assemble_context(self.state, self.buffers, show=self.setup.show_path, unsaved=unsaved)

    def cancel_progress(self, token: str | int) -> None:
        progress = self._progress.get(token)
        if progress is not None:
            progress.cancelled_by_user()

    @property
    def shows_turns(self) -> bool:
        """The editor shows each turn's answer and error itself: no toast for them."""
        return self.link.offers_turns

    def stop_turns(self) -> int:
        """Stops every running turn (each ends as a cancelled one, with what arrived); how many ran."""
        for control in self._running:
            control.cancel()
        return len(self._running)

    async def answer(
        self, params: ChatParams, title: str = "Asking M2", origin: TurnOrigin = "chat"
    ) -> dict[str, Any]:
        """A turn that answers a request: $/cancelRequest cancels the handler's task, so the turn is stopped
        instead, and the request still gets what arrived. Announced to an editor that shows turns."""
        announce = self.link.offers_turns
        if announce:
            started = {"sessionId": params.session_id or self.current_session, "prompt": params.prompt}
            self.link.notify(TURN_STARTED, {**started, "origin": origin})
        control = TurnControl()
        self._running.add(control)
        self.live.turn_started()
        try:
            result = await self._answer(params, control, title)
        except BaseException as err:
            if announce:
                failed = _failed_turn(err)
                self.link.notify(TURN_ENDED, {"sessionId": failed["sessionId"], "result": failed})
            raise
        finally:
            self._running.discard(control)
            self.live.turn_ended(self.current_session)
        if announce:
            self.link.notify(TURN_ENDED, {"sessionId": result["sessionId"], "result": result})
        return result

    async def _answer(self, params: ChatParams, control: TurnControl, title: str) -> dict[str, Any]:
        inner = asyncio.ensure_future(self.chat(params, control, title=title))
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            control.cancel()
            return await inner

    async def chat(
        self, params: ChatParams, control: TurnControl, *, title: str = "Asking M2"
    ) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.setup.settings_ready.wait(), SETTINGS_WAIT)
        current = self.current_session
        try:
            service = self.service()
            service.settings.require_key()
            chat = await self._open(service, params.session_id)
        except M2BridgeError as err:
            if not self.shows_turns:
                self.link.show(error_message(err), types.MessageType.Error)
            return turn_to_camel(TurnResult(session_id="", stop_reason="error", error=err))
        progress = self.link.progress(title, params.work_done_token, control.cancel)
        await progress.begin("thinking")
        if progress.token is not None:
            self._progress[progress.token] = progress
        try:
            result = await self._turn(chat, params.prompt, control, progress)
        finally:
            if progress.token is not None:
                self._progress.pop(progress.token, None)
        progress.end({"end_turn": "done"}.get(result.stop_reason, result.stop_reason.replace("_", " ")))
        if result.error is not None and not self.shows_turns:
            self.link.show(error_message(result.error), types.MessageType.Error)
        if self.current_session == current:  # unless m2.newSession came in meanwhile
            self.current_session = chat.session_id
        return turn_to_camel(result)

    async def _open(self, service: ConversationService, requested: str | None) -> Conversation:
        if not requested:  # the session shown now, or a new one if it is gone
            return await service.open(self.current_session, missing_ok=True)
        try:
            return await service.open(requested)
        except SessionNotFound as err:
            raise JsonRpcInvalidParams(str(err)) from err

    async def _turn(
        self, chat: Conversation, prompt: str, control: TurnControl, progress: Progress
    ) -> TurnResult:
        known = chat.session_id
        approver = self._approvers.get(known or "") or EditorApprover(self.link.ask)
        relay = DeltaRelay(
            lambda: chat.session_id,
            self.link.notify,
            progress.report,
            lambda text: self.link.show(f"m2bridge: {text}"),
            self.setup.settings.context_window,
        )
        block = self.editor_context()
        fresh = block is not None and self._last_context.get(known or "") != block
        context = [ContextTurn(source="editor", text=block)] if fresh and block is not None else []
        result = await chat.run(prompt, approver=approver, on_event=relay, context=context, control=control)
        if chat.session_id is not None:  # "Allow for this session" and the context sent, per session
            self._approvers[chat.session_id] = approver
            if result.steps and block is not None:
                self._last_context[chat.session_id] = block
        return result


def _failed_turn(err: BaseException) -> dict[str, Any]:
    """The m2/turnEnded result of a turn that ended in an exception (its request gets the JSON-RPC error)."""
    cause = err.__cause__ if isinstance(err.__cause__, M2BridgeError) else err
    if isinstance(cause, M2BridgeError):
        error = cause
    elif isinstance(err, asyncio.CancelledError):
        return turn_to_camel(TurnResult(session_id="", stop_reason="cancelled", incomplete=True))
    else:
        error = M2BridgeError(f"The turn failed: {err}")
    return turn_to_camel(TurnResult(session_id="", stop_reason="error", error=error))
