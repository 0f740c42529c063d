"""The language server's engine side: settings, the session store, the tools on the editor's files, and
chat turns with their deltas, progress, approval and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp.advice import error_message
from lsp.approval import EditorApprover
from lsp.buffers import Buffers, unsaved
from lsp.context_block import assemble_context
from lsp.deltas import DeltaRelay
from lsp.editor_workspace import EditorWorkspace
from lsp.link import EditorLink, Progress
from lsp.params import ChatParams
from lsp.settings import EditorSettings, read_editor_settings, settings_with
from lsp.state import EditorState
from m2bridge.agent import Agent, TurnResult
from m2bridge.agent.prompt import system_prompt
from m2bridge.client.model import ModelClient
from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError, SessionNotFound
from m2bridge.messages import ContextTurn
from m2bridge.sessions import SessionInfo, SessionStore
from m2bridge.sessions.display import display_turns
from m2bridge.sessions.unanswered import drop_if_unanswered
from m2bridge.tools import Tool
from m2bridge.workspace import detect_workspace

__all__ = ["Bridge", "ServerOptions", "TurnControl"]

EDITOR_NOTE = (
    "You are running inside the user's editor. read_file sees the editor's text, unsaved changes "
    "included. write_file and edit_file reach the editor as edits the user can review and undo; the "
    "result of each says whether the file was saved. Each user message may be preceded by a block of "
    "editor context (active file, selection, diagnostics): it is what the editor shows, not the user's words."
)

SETTINGS_WAIT = 10.0


@dataclass(frozen=True)
class ServerOptions:
    read_only: bool = False
    no_terminal: bool = False


class TurnControl:
    """Lets a cancel that arrives before, during or after the agent's start reach it."""

    def __init__(self) -> None:
        self.cancelled = False
        self._agent: Agent | None = None

    def attach(self, agent: Agent) -> None:
        self._agent = agent

    def cancel(self) -> None:
        self.cancelled = True
        if self._agent is not None:
            self._agent.cancel()


class Bridge:
    def __init__(
        self,
        link: EditorLink,
        buffers: Buffers,
        state: EditorState,
        options: ServerOptions,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.link = link
        self.buffers = buffers
        self.state = state
        self.options = options
        self.env = dict(os.environ if env is None else env)
        self.workspace = detect_workspace()
        self.roots: list[Path] = [self.workspace]
        self.current_session: str | None = None
        self._editor: EditorSettings = {}
        self._settings: Settings | None = None
        self._store: SessionStore | None = None
        self._client: ModelClient | None = None
        self._retired: list[ModelClient] = []
        self._tools: list[Tool] | None = None
        self._exits = AsyncExitStack()
        self._tools_lock = asyncio.Lock()
        self._approvers: dict[str, EditorApprover] = {}
        self._last_context: dict[str, str] = {}
        self._progress: dict[str | int, Progress] = {}
        # Set once the editor's first workspace/configuration answer is in (or it offers none), so a chat
        # sent right after start-up still runs with the editor's settings.
        self.settings_ready = asyncio.Event()

    # Set-up -----------------------------------------------------------------------------------------
    def start(self, folders: list[Path]) -> None:
        """The editor's folders become the tools' roots; the first one's repository is the workspace."""
        existing = [f for f in folders if f.is_dir()]
        if existing:
            self.workspace = detect_workspace(existing[0])
            self.roots = existing

    def folders_changed(self, folders: list[Path]) -> None:
        self.start(folders)
        # The tools are rebuilt for the next turn; the old set's processes live until shutdown.
        self._tools = None

    def configure(self, raw: Any) -> None:
        """Apply `m2bridge` settings from the editor, keeping the last good ones when these are unusable."""
        editor, warnings = read_editor_settings(raw)
        for warning in warnings:
            self.link.show(warning, types.MessageType.Warning)
        try:
            settings = settings_with(editor, self.env, self.workspace)
        except M2BridgeError as err:
            self.link.show(f"M2: settings not applied: {err}", types.MessageType.Error)
            return
        self._editor, self._settings = editor, settings
        for warning in settings.warnings:
            self.link.show(f"M2: {warning}", types.MessageType.Warning)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = settings_with(self._editor, self.env, self.workspace)
        return self._settings

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            self._store = SessionStore(self.settings.sessions_db)
        return self._store

    def _model_client(self, settings: Settings) -> ModelClient:
        if self._client is None or self._client.settings is not settings:
            if self._client is not None:
                self._retired.append(self._client)
            self._client = ModelClient(settings)
        return self._client

    async def _tool_list(self) -> list[Tool]:
        async with self._tools_lock:  # two chats at start-up must not build two tool sets
            return await self._open_tools()

    async def _open_tools(self) -> list[Tool]:
        if self._tools is None:
            from mcp_tools.engine_tools import open_engine_tools

            def files(roots: tuple[str, ...]) -> EditorWorkspace:
                return EditorWorkspace(roots, self.buffers, self.link)

            def warn(text: str) -> None:
                self.link.show(f"M2: {text}", types.MessageType.Warning)

            self._tools = await self._exits.enter_async_context(
                open_engine_tools(
                    self.settings,
                    self.workspace,
                    warn,
                    roots=self.roots,
                    files=files,
                    read_only=self.options.read_only,
                    no_terminal=self.options.no_terminal,
                )
            )
        return self._tools

    async def close(self) -> None:
        """Kill every process the tools started and close the model clients."""
        await self._exits.aclose()
        self._exits, self._tools = AsyncExitStack(), None
        for client in [*self._retired, *([self._client] if self._client else [])]:
            await client.aclose()
        self._retired.clear()
        self._client = None
        if self._store is not None:
            self._store.close()
            self._store = None

    # Sessions ---------------------------------------------------------------------------------------
    def sessions(self) -> list[dict[str, Any]]:
        return [
            {
                "id": info.id,
                "title": info.title,
                "updated": info.updated,
                "turns": info.turns,
                "contextTokens": info.context_tokens,
                "workspace": info.workspace,
            }
            for info in self.store.list(workspace=str(self.workspace))
        ]

    def session(self, session_id: str) -> dict[str, Any]:
        try:
            info = self.store.resolve(session_id)
        except SessionNotFound as err:
            raise JsonRpcInvalidParams(str(err)) from None
        loaded = self.store.load(info.id)
        return {
            "id": info.id,
            "title": info.title,
            "workspace": info.workspace,
            "updated": info.updated,
            "contextTokens": info.context_tokens,
            "turns": display_turns(loaded),
        }

    def new_session(self) -> None:
        self.current_session = None

    def _session_for(
        self, requested: str | None, prompt: str, settings: Settings
    ) -> tuple[SessionInfo, bool]:
        """The session the turn goes to, and whether it was created for it."""
        if requested:
            try:
                return self.store.resolve(requested), False
            except SessionNotFound as err:
                raise JsonRpcInvalidParams(str(err)) from None
        if self.current_session:
            try:
                return self.store.get(self.current_session), False
            except SessionNotFound:
                pass
        created = self.store.create(
            workspace=str(self.workspace), protocol=settings.api, model=settings.model, title=prompt[:80]
        )
        return created, True

    def _drop_unanswered(self, session_id: str) -> bool:
        """A session created for a first turn that failed or stopped before M2 answered is not kept."""
        if not drop_if_unanswered(self.store, session_id, _owner()):
            return False
        if self.current_session == session_id:
            self.current_session = None
        self._approvers.pop(session_id, None)
        self._last_context.pop(session_id, None)
        return True

    # Chat -------------------------------------------------------------------------------------------
    def show_path(self, path: str) -> str:
        try:
            return str(Path(path).relative_to(self.workspace))
        except ValueError:
            return path

    def editor_context(self) -> str | None:
        return assemble_context(self.state, self.buffers, show=self.show_path, unsaved=unsaved)

    def cancel_progress(self, token: str | int) -> None:
        progress = self._progress.get(token)
        if progress is not None:
            progress.cancelled_by_user()

    async def chat(self, params: ChatParams, control: TurnControl, *, title: str = "M2") -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settings_ready.wait(), SETTINGS_WAIT)
        try:
            settings = self.settings
            settings.require_key()
            info, created = self._session_for(params.session_id, params.prompt, settings)
        except M2BridgeError as err:
            self.link.show(error_message(err), types.MessageType.Error)
            return _answer(TurnResult(session_id="", stop_reason="error", error=err), None)
        self.current_session = info.id
        progress = self.link.progress(title, params.work_done_token, control.cancel)
        await progress.begin("thinking")
        if progress.token is not None:
            self._progress[progress.token] = progress
        try:
            result = await self._run(info, params.prompt, settings, control, progress)
        finally:
            if progress.token is not None:
                self._progress.pop(progress.token, None)
        progress.end({"end_turn": "done"}.get(result.stop_reason, result.stop_reason.replace("_", " ")))
        if result.error is not None:
            self.link.show(error_message(result.error), types.MessageType.Error)
        dropped = created and result.stop_reason in ("error", "cancelled") and self._drop_unanswered(info.id)
        return _answer(result, None if dropped else info.id)

    async def _run(
        self, info: SessionInfo, prompt: str, settings: Settings, control: TurnControl, progress: Progress
    ) -> TurnResult:
        try:
            tools = await self._tool_list()
        except M2BridgeError as err:
            return TurnResult(session_id=info.id, stop_reason="error", error=err)
        approver = self._approvers.setdefault(info.id, EditorApprover(self.link.ask))
        relay = DeltaRelay(
            info.id,
            self.link.notify,
            progress.report,
            lambda text: self.link.show(f"M2: {text}"),
            settings.context_window,
        )
        agent = Agent(
            settings=settings,
            client=self._model_client(settings),
            store=self.store,
            system=system_prompt(self.workspace, EDITOR_NOTE),
            tools=tools,
            approver=approver,
            on_event=relay,
            owner=_owner(),
        )
        block = self.editor_context()
        fresh = block is not None and self._last_context.get(info.id) != block
        context = [ContextTurn(source="editor", text=block)] if fresh and block is not None else []
        control.attach(agent)
        if control.cancelled:
            return TurnResult(session_id=info.id, stop_reason="cancelled", incomplete=True)
        result = await agent.run_turn(info.id, prompt, context)
        if result.steps and block is not None:
            self._last_context[info.id] = block
        return result


def _owner() -> str:
    """Who this server is in the store's leases."""
    return f"lsp:{os.getpid()}"


def _answer(result: TurnResult, session_id: str | None) -> dict[str, Any]:
    error = result.error
    return {
        "sessionId": session_id,
        "text": result.text,
        "stopReason": result.stop_reason,
        "incomplete": result.incomplete,
        "usage": {"inputTokens": result.usage.input_tokens, "outputTokens": result.usage.output_tokens},
        "contextTokens": result.context_tokens,
        "toolCalls": [{"name": name, "ok": ok} for name, ok in result.tool_calls],
        "error": None
        if error is None
        else {"code": error.code, "message": error.message, "traceId": error.trace_id},
    }
