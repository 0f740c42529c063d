"""The ACP agent: the methods an editor calls, on the engine's conversation service.

It answers `initialize`, `authenticate`, `session/new`, `session/load` (a stored session replayed as
updates, then continued), `session/list`, `session/prompt`, `session/cancel`, `session/set_mode` and
`session/set_config_option`; with the SDK's unstable switch also `session/fork`, `session/resume` and
`session/close`, and `usage_update` notifications.

The engine's service holds one tool set, opened at its first turn; ACP sessions each name their own
folder (`cwd`, plus additional directories and the editor's MCP servers): a `ToolPlace`. So there is one
service per place: for an editor window (one folder, the same servers for every session) that is one
per process. All of them share the one store."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError, update_agent_message_text
from acp.interfaces import Client
from acp.schema import (
    AgentCapabilities,
    AuthenticateResponse,
    AuthEnvVar,
    ClientCapabilities,
    CloseSessionResponse,
    ConfigOptionUpdate,
    CurrentModeUpdate,
    EnvVarAuthMethod,
    ForkSessionResponse,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    ResumeSessionResponse,
    SessionCapabilities,
    SessionInfo,
    SessionInfoUpdate,
    SetSessionConfigOptionResponse,
    SetSessionModeResponse,
)

from acp_agent.commands import COMPACT, FORK, NEW, available_commands, slash_command
from acp_agent.editor_terminal import turn_updates
from acp_agent.mcp_servers import McpServer, editor_servers, merged_servers
from acp_agent.modes import MODE_OPTION, Mode, config_options, mode_of, mode_state
from acp_agent.permissions import SessionApprover
from acp_agent.prompts import PromptBlock, prompt_text, stop_reason
from acp_agent.relay import Update, UpdateRelay
from acp_agent.replay import replay_updates
from acp_agent.sessions import AcpSession, ToolPlace, checked_cwd, checked_folders, current_session
from m2bridge import __version__
from m2bridge.config import Settings, load_settings
from m2bridge.conversation import Conversation, ConversationService, TurnControl
from m2bridge.errors import ConfigError, M2BridgeError
from m2bridge.sandbox_choice import SandboxChoice, choose_sandbox
from m2bridge.tools import Tool
from m2bridge.workspace import detect_workspace

__all__ = ["AUTH_METHOD", "AUTH_REQUIRED", "M2Agent"]

log = logging.getLogger("m2bridge.acp")

# ACP's code for "authenticate first" (the SDK's RequestError.auth_required), with our own message.
AUTH_REQUIRED = -32000
# The one way to authenticate: the editor sets MINIMAX_API_KEY in the agent's environment.
AUTH_METHOD = "minimax-api-key"

# A session's title in `sessions list`: the first line of its first prompt, as the engine titles them.
_TITLE = 80


class M2Agent:
    """One per `m2bridge acp` process: one conversation service per place, any number of sessions.
    `unstable` is the SDK's unstable-protocol switch (fork, resume, close and usage_update)."""

    def __init__(self, sandbox: SandboxChoice, owner: str, *, unstable: bool = False) -> None:
        self.sandbox = sandbox
        self.owner = owner
        self.unstable = unstable
        self.client: Client | None = None
        self.client_capabilities: ClientCapabilities | None = None
        self.sessions: dict[str, AcpSession] = {}
        self._services: dict[ToolPlace, ConversationService] = {}
        self._approvers: dict[str, SessionApprover] = {}
        self._running: dict[str, TurnControl] = {}
        self._announcing: set[asyncio.Task[None]] = set()

    def on_connect(self, conn: Client) -> None:
        self.client = conn

    # Set-up -----------------------------------------------------------------------------------------
    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Implementation | None = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        self.client_capabilities = client_capabilities
        who = client_info.name if client_info is not None else "an unnamed client"
        log.info("initialize from %s (protocol version %s)", who, protocol_version)
        lifecycle: dict[str, Any] = {"list": {}, "additional_directories": {}}
        if self.unstable:
            lifecycle |= {"fork": {}, "resume": {}, "close": {}}
        return InitializeResponse(
            protocol_version=min(protocol_version, PROTOCOL_VERSION),
            agent_capabilities=AgentCapabilities(
                load_session=True,
                # Text and resource links always; embedded resources (a file the user @-mentions) too.
                prompt_capabilities=PromptCapabilities(image=False, audio=False, embedded_context=True),
                mcp_capabilities=McpCapabilities(http=True, sse=False),
                session_capabilities=SessionCapabilities(**lifecycle),
            ),
            agent_info=Implementation(name="m2bridge", title="MiniMax-M2 (m2bridge)", version=__version__),
            auth_methods=[
                EnvVarAuthMethod(
                    type="env_var",
                    id=AUTH_METHOD,
                    name="MiniMax API key",
                    description="The key from platform.minimax.io (or platform.minimaxi.com with its host).",
                    vars=[
                        AuthEnvVar(name="MINIMAX_API_KEY", label="MiniMax API key"),
                        AuthEnvVar(
                            name="MINIMAX_API_HOST",
                            label="API host (https://api.minimaxi.com for a China platform key)",
                            secret=False,
                            optional=True,
                        ),
                    ],
                )
            ],
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> AuthenticateResponse:
        """The key comes with the environment the editor starts us in: nothing to exchange, only to check."""
        if method_id != AUTH_METHOD:
            raise RequestError.invalid_params(
                {"methodId": method_id, "reason": f"the one authentication method is {AUTH_METHOD!r}"}
            )
        try:
            load_settings().require_key()
        except ConfigError as err:
            raise RequestError(AUTH_REQUIRED, str(err)) from err
        return AuthenticateResponse()

    def settings_for(self, cwd: Path) -> Settings:
        """The settings of the workspace `cwd` lies in, with the command line's sandbox choice; an
        auth_required error when no key is set, with the message every m2bridge command gives."""
        settings = choose_sandbox(
            load_settings(workspace=detect_workspace(cwd)), self.sandbox, "the command line"
        )
        try:
            settings.require_key()
        except ConfigError as err:
            raise RequestError(AUTH_REQUIRED, str(err)) from err
        return settings

    def place(
        self, cwd: str, additional_directories: list[str] | None, mcp_servers: Sequence[McpServer] | None
    ) -> ToolPlace:
        folder = checked_cwd(cwd)
        servers = json.dumps(editor_servers(mcp_servers or []), sort_keys=True)
        return ToolPlace(folder, checked_folders(additional_directories, folder), servers)

    def service(self, settings: Settings, place: ToolPlace) -> ConversationService:
        """The service whose tools work in `place` (created with the settings there)."""
        service = self._services.get(place)
        if service is None:
            service = self._services[place] = self._new_service(settings, place)
        return service

    def _new_service(self, settings: Settings, place: ToolPlace) -> ConversationService:
        from mcp_tools.sandbox import sandbox_support  # the agent is a surface: it may use the tools
        from mcp_tools.toolkit import sandbox_note, sandbox_policy

        workspace = detect_workspace(place.cwd)
        servers = merged_servers(settings.mcp_servers, json.loads(place.servers))
        with_servers = dataclasses.replace(settings, mcp_servers=servers)

        def tools() -> AbstractAsyncContextManager[Sequence[Tool]]:
            from acp_agent.editor_files import files_for
            from acp_agent.editor_terminal import terminal_for
            from mcp_tools.engine_tools import open_engine_tools

            assert self.client is not None  # the editor's fs/* and terminal/* where it offers them
            files = files_for(self.client, self.client_capabilities)
            terminal = terminal_for(self.client, self.client_capabilities)
            return open_engine_tools(
                with_servers, workspace, self._warn, roots=place.roots, files=files, terminal=terminal
            )

        return ConversationService(
            with_servers,
            workspace,
            owner=self.owner,
            tools=tools,
            note=sandbox_note(sandbox_policy(settings), sandbox_support()),
        )

    def _warn(self, text: str) -> None:
        log.warning("%s", text)

    # Sessions ---------------------------------------------------------------------------------------
    async def new_session(
        self,
        cwd: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[McpServer] | None = None,
        **kwargs: Any,
    ) -> NewSessionResponse:
        settings = self.settings_for(checked_cwd(cwd))
        place = self.place(cwd, additional_directories, mcp_servers)
        service = self.service(settings, place)
        info = await service.sessions.create(service.workspace, settings.api, settings.model, "")
        session = self._open(AcpSession(info.id, place, settings, created_here=True))
        session.chat = Conversation(service, info, service.workspace)  # its first prompt needs no lookup
        log.info("session %s opened in %s", info.id, place.cwd)
        return NewSessionResponse(
            session_id=info.id, modes=mode_state(session.mode), config_options=config_options(session.mode)
        )

    async def load_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[McpServer] | None = None,
        additional_directories: list[str] | None = None,
        **kwargs: Any,
    ) -> LoadSessionResponse:
        """Replays the stored session as session/update notifications, then answers; prompts continue it."""
        session = await self._stored(cwd, session_id, additional_directories, mcp_servers)
        service = self.service(session.settings, session.place)
        loaded = await (await service.sessions.store()).load(session.id)
        for warning in loaded.warnings:
            log.warning("session %s: %s", session.id, warning)
        assert self.client is not None
        for update in replay_updates([stored.turn for stored in loaded.turns], session.cwd):
            await self.client.session_update(session.id, update)
        self._open(session)
        log.info("session %s loaded in %s (%d turns)", session.id, session.cwd, len(loaded.turns))
        return LoadSessionResponse(
            modes=mode_state(session.mode), config_options=config_options(session.mode)
        )

    async def resume_session(
        self,
        cwd: str,
        session_id: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[McpServer] | None = None,
        **kwargs: Any,
    ) -> ResumeSessionResponse:
        """Like session/load without the replay: the editor still shows the conversation."""
        session = self._open(await self._stored(cwd, session_id, additional_directories, mcp_servers))
        log.info("session %s resumed in %s", session.id, session.cwd)
        return ResumeSessionResponse(
            modes=mode_state(session.mode), config_options=config_options(session.mode)
        )

    async def fork_session(
        self,
        cwd: str,
        session_id: str,
        additional_directories: list[str] | None = None,
        mcp_servers: list[McpServer] | None = None,
        **kwargs: Any,
    ) -> ForkSessionResponse:
        """A new session holding the same turns, byte for byte (thinking included), continued apart."""
        source = await self._stored(cwd, session_id, additional_directories, mcp_servers)
        store = await self.service(source.settings, source.place).sessions.store()
        fork = await store.fork(self._stored_id(session_id))
        session = self._open(AcpSession(fork.id, source.place, source.settings, mode=source.mode))
        log.info("session %s forked from %s", fork.id, session_id)
        return ForkSessionResponse(
            session_id=fork.id, modes=mode_state(session.mode), config_options=config_options(session.mode)
        )

    async def close_session(self, session_id: str, **kwargs: Any) -> CloseSessionResponse:
        """Stops a running turn and forgets the session here; the stored session stays."""
        self._known(session_id)
        await self.cancel(session_id)
        self._approvers.pop(session_id, None)
        self.sessions.pop(session_id, None)
        log.info("session %s closed", session_id)
        return CloseSessionResponse()

    async def _stored(
        self,
        cwd: str,
        session_id: str,
        additional_directories: list[str] | None,
        mcp_servers: Sequence[McpServer] | None,
    ) -> AcpSession:
        """The stored session `session_id` (or the one /new moved it to), to be served in `cwd`."""
        settings = self.settings_for(checked_cwd(cwd))
        place = self.place(cwd, additional_directories, mcp_servers)
        service = self.service(settings, place)
        info = await service.sessions.get(self._stored_id(session_id))
        if info is None:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "no stored session has this id (see session/list)"}
            )
        known = self.sessions.get(session_id)
        mode = known.mode if known is not None else Mode.ASK
        return AcpSession(session_id, place, settings, stored_id=info.id, mode=mode)

    def _stored_id(self, session_id: str) -> str:
        known = self.sessions.get(session_id)
        return known.stored_id if known is not None else session_id

    def _open(self, session: AcpSession) -> AcpSession:
        """Serve `session` from now on, and tell the editor its commands (after this request's answer)."""
        self.sessions[session.id] = session
        approver = self._approvers.get(session.id)
        if approver is None:
            assert self.client is not None
            approver = self._approvers[session.id] = SessionApprover(self.client, session.id, session.cwd)
        approver.mode = session.mode
        self._announce(session.id, available_commands())
        return session

    def _announce(self, session_id: str, update: Update) -> None:
        """Sent once the current request has been answered: the SDK queues the answer before this task
        runs, so an editor never hears of a session before it knows the session exists."""
        client = self.client
        assert client is not None

        async def send() -> None:
            try:
                await client.session_update(session_id, update)
            except Exception as err:  # a client that went away: nothing to tell
                log.warning("session %s: an update was not delivered (%s)", session_id, err)

        task = asyncio.ensure_future(send())
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        store = await self._any_service(cwd).sessions.store()
        where = str(detect_workspace(checked_cwd(cwd))) if cwd else None
        listed = await store.list(workspace=where)
        return ListSessionsResponse(
            sessions=[
                SessionInfo(
                    session_id=info.id,
                    cwd=info.workspace,
                    title=info.title or None,
                    updated_at=datetime.fromtimestamp(info.updated, UTC).isoformat(),
                )
                for info in listed
            ]
        )

    def _any_service(self, cwd: str | None) -> ConversationService:
        """A service for the store alone (they share one database)."""
        if self._services:
            return next(iter(self._services.values()))
        folder = checked_cwd(cwd) if cwd else Path.cwd()
        return self.service(load_settings(workspace=detect_workspace(folder)), ToolPlace(folder))

    # Modes ------------------------------------------------------------------------------------------
    async def set_session_mode(self, session_id: str, mode_id: str, **kwargs: Any) -> SetSessionModeResponse:
        self._set_mode(session_id, mode_id)
        return SetSessionModeResponse()

    async def set_config_option(
        self, config_id: str, session_id: str, value: str | bool, **kwargs: Any
    ) -> SetSessionConfigOptionResponse:
        if config_id != MODE_OPTION or not isinstance(value, str):
            raise RequestError.invalid_params(
                {"configId": config_id, "reason": f"the one option is {MODE_OPTION!r}, a select"}
            )
        mode = self._set_mode(session_id, value)
        return SetSessionConfigOptionResponse(config_options=config_options(mode))

    def _set_mode(self, session_id: str, value: str) -> Mode:
        """Both ways of choosing the policy end here, and both are announced, whichever the editor used."""
        session = self._known(session_id)
        mode = mode_of(value)
        if mode is None:
            known = ", ".join(m.value for m in Mode)
            raise RequestError.invalid_params({"modeId": value, "reason": f"the modes are {known}"})
        session.mode = mode
        self._approvers[session_id].mode = mode
        self._announce(
            session_id, CurrentModeUpdate(session_update="current_mode_update", current_mode_id=mode)
        )
        self._announce(
            session_id,
            ConfigOptionUpdate(session_update="config_option_update", config_options=config_options(mode)),
        )
        log.info("session %s: mode %s", session_id, mode.value)
        return mode

    def _known(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "unknown session: open it with session/new or load first"}
            )
        return session

    # Turns ------------------------------------------------------------------------------------------
    async def prompt(self, prompt: list[PromptBlock], session_id: str, **kwargs: Any) -> PromptResponse:
        session = self._known(session_id)
        if session_id in self._running:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "a turn is already running"}
            )
        text = prompt_text(prompt)
        command = slash_command(text)
        if command is not None:
            return await self._command(session, command)
        assert self.client is not None
        service = self.service(session.settings, session.place)
        chat = session.chat = session.chat or await service.open(session.stored_id)
        title = None
        if chat.info is not None and not chat.info.title:  # made by session/new: titled by its first prompt
            title = " ".join(text.split())[:_TITLE]
            chat.info = dataclasses.replace(chat.info, title=title)
        approver = self._approvers[session_id]
        control = self._running[session_id] = TurnControl()
        current_session.set(session_id)  # this request's own task: the turn's tools inherit it
        async with self._relay(session, approver) as relay:
            turn_updates.set(relay.put)
            try:
                result = await chat.run(text, approver=approver, on_event=relay, control=control)
            finally:
                del self._running[session_id]
                if title is not None:  # after the turn: nothing stands before M2's first thought
                    await (await service.sessions.store()).set_title(session.stored_id, title)
                    info = SessionInfoUpdate(session_update="session_info_update", title=title)
                    relay.put(info)
            session.turns_run += 1
            if result.error is not None:
                relay.put(update_agent_message_text(f"\n\nm2bridge: {result.error}"))
        log.info("session %s: turn ended (%s, %d steps)", session_id, result.stop_reason, result.steps)
        return PromptResponse(stop_reason=stop_reason(result.stop_reason))

    async def _command(self, session: AcpSession, command: str) -> PromptResponse:
        """A slash command: answered as an agent message; M2 is not asked."""
        service = self.service(session.settings, session.place)
        store = await service.sessions.store()
        if command == COMPACT:
            try:
                said = (await (await service.open(session.stored_id)).compact()).text
            except M2BridgeError as err:
                said = f"m2bridge: {err}"
        elif command == FORK:
            fork = await store.fork(session.stored_id)
            said = (
                f"Forked: session {fork.id} holds this conversation as it is now, thinking included. "
                f"This session goes on here; open the copy from the session list (or `m2bridge chat "
                f"--session {fork.id}`) to come back to this point."
            )
        else:
            assert command == NEW
            before = session.stored_id
            fresh = await service.sessions.create(
                service.workspace, session.settings.api, session.settings.model, ""
            )
            session.stored_id, session.chat = fresh.id, None
            said = (
                f"Started over in session {fresh.id}. The conversation so far stays in session {before} "
                "(the session list, or `m2bridge chat --session " + before + "`)."
            )
            self._announce(session.id, SessionInfoUpdate(session_update="session_info_update", title=None))
        assert self.client is not None
        await self.client.session_update(session.id, update_agent_message_text(said))
        return PromptResponse(stop_reason="end_turn")

    @asynccontextmanager
    async def _relay(self, session: AcpSession, approver: SessionApprover) -> AsyncGenerator[UpdateRelay]:
        assert self.client is not None
        window = session.settings.context_window if self.unstable else None
        relay = UpdateRelay(self.client, session.id, session.cwd, window)
        approver.call_id = lambda arguments: relay.call_ids.get(id(arguments), "")
        approver.before_asking = relay.sent
        try:
            yield relay
        finally:
            await relay.drain()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        control = self._running.get(session_id)
        if control is not None:
            log.info("session %s: cancelled by the client", session_id)
            control.cancel()

    async def aclose(self) -> None:
        """Drop the sessions made here that never got an answer, then close the services."""
        services, self._services = list(self._services.values()), {}
        if not services:
            return
        try:
            for session in self.sessions.values():
                # Made here: by session/new (its own id) or by /new (its stored id).
                made = {session.id} if session.created_here else set[str]()
                made |= {session.stored_id} - {session.id}
                for stored in made:
                    if await services[0].sessions.drop_if_unanswered(stored, self.owner):
                        log.info("session %s never got an answer: dropped", stored)
        finally:
            for service in services:
                await service.aclose()
