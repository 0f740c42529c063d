"""The ACP agent: the methods an editor calls, on the engine's conversation service.

It answers `initialize`, `session/new`, `session/load` (a stored session replayed as updates, then
continued), `session/list`, `session/prompt` and `session/cancel`.

The engine's service holds one tool set, opened at its first turn; ACP sessions each name their own
folder (`cwd`), which is the root of their tools. So there is one service per folder: for an editor
window (one folder, any number of sessions) that is one per process. All of them share the one store."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError, update_agent_message_text
from acp.interfaces import Client
from acp.schema import (
    AcpMcpServer,
    AgentCapabilities,
    ClientCapabilities,
    HttpMcpServer,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpServerStdio,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionInfo,
    SseMcpServer,
)

from acp_agent.permissions import SessionApprover
from acp_agent.prompts import PromptBlock, prompt_text, stop_reason
from acp_agent.relay import UpdateRelay
from acp_agent.replay import replay_updates
from acp_agent.sessions import AcpSession, checked_cwd, current_session
from m2bridge import __version__
from m2bridge.config import Settings, load_settings
from m2bridge.conversation import ConversationService, TurnControl
from m2bridge.errors import ConfigError
from m2bridge.sandbox_choice import SandboxChoice, choose_sandbox
from m2bridge.tools import Tool
from m2bridge.workspace import detect_workspace

__all__ = ["AUTH_REQUIRED", "M2Agent"]

log = logging.getLogger("m2bridge.acp")

# ACP's code for "authenticate first" (the SDK's RequestError.auth_required), with our own message.
AUTH_REQUIRED = -32000

# A session's title in `sessions list`: the first line of its first prompt, as the engine titles them.
_TITLE = 80

McpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio


class M2Agent:
    """One per `m2bridge acp` process: one conversation service, any number of sessions."""

    def __init__(self, sandbox: SandboxChoice, owner: str) -> None:
        self.sandbox = sandbox
        self.owner = owner
        self.client: Client | None = None
        self.client_capabilities: ClientCapabilities | None = None
        self.sessions: dict[str, AcpSession] = {}
        self._services: dict[Path, ConversationService] = {}
        self._approvers: dict[str, SessionApprover] = {}
        self._running: dict[str, TurnControl] = {}

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
        return InitializeResponse(
            protocol_version=min(protocol_version, PROTOCOL_VERSION),
            agent_capabilities=AgentCapabilities(
                load_session=True,
                # Text and resource links always; embedded resources (a file the user @-mentions) too.
                prompt_capabilities=PromptCapabilities(image=False, audio=False, embedded_context=True),
            ),
            agent_info=Implementation(name="m2bridge", title="MiniMax-M2 (m2bridge)", version=__version__),
            auth_methods=[],
        )

    def settings_for(self, cwd: str) -> Settings:
        """The settings of the workspace `cwd` lies in, with the command line's sandbox choice; an
        auth_required error when no key is set, with the message every m2bridge command gives."""
        workspace = detect_workspace(checked_cwd(cwd))
        settings = choose_sandbox(load_settings(workspace=workspace), self.sandbox, "the command line")
        try:
            settings.require_key()
        except ConfigError as err:
            raise RequestError(AUTH_REQUIRED, str(err)) from err
        return settings

    def service(self, settings: Settings, cwd: Path) -> ConversationService:
        """The service whose tools work in `cwd` (created with the settings there)."""
        service = self._services.get(cwd)
        if service is None:
            service = self._services[cwd] = self._new_service(settings, cwd)
        return service

    def _new_service(self, settings: Settings, cwd: Path) -> ConversationService:
        from mcp_tools.sandbox import sandbox_support  # the agent is a surface: it may use the tools
        from mcp_tools.toolkit import sandbox_note, sandbox_policy

        workspace = detect_workspace(cwd)

        def tools() -> AbstractAsyncContextManager[Sequence[Tool]]:
            from mcp_tools.engine_tools import open_engine_tools

            return open_engine_tools(settings, workspace, self._warn, roots=[cwd])

        return ConversationService(
            settings,
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
        folder = checked_cwd(cwd)
        settings = self.settings_for(cwd)
        service = self.service(settings, folder)
        info = await service.sessions.create(service.workspace, settings.api, settings.model, "")
        self.sessions[info.id] = AcpSession(info.id, folder, settings, created_here=True)
        if mcp_servers:
            names = ", ".join(server.name for server in mcp_servers)
            log.info("session %s: the client's MCP servers (%s) are not used yet", info.id, names)
        if additional_directories:
            log.info("session %s: additional directories are not used yet", info.id)
        log.info("session %s opened in %s", info.id, folder)
        return NewSessionResponse(session_id=info.id)

    async def load_session(
        self,
        cwd: str,
        session_id: str,
        mcp_servers: list[McpServer] | None = None,
        additional_directories: list[str] | None = None,
        **kwargs: Any,
    ) -> LoadSessionResponse:
        """Replays the stored session as session/update notifications, then answers; prompts continue it."""
        folder = checked_cwd(cwd)
        settings = self.settings_for(cwd)
        service = self.service(settings, folder)
        info = await service.sessions.get(session_id)
        if info is None:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "no stored session has this id (see session/list)"}
            )
        loaded = await (await service.sessions.store()).load(info.id)
        for warning in loaded.warnings:
            log.warning("session %s: %s", info.id, warning)
        assert self.client is not None
        for update in replay_updates([stored.turn for stored in loaded.turns], folder):
            await self.client.session_update(info.id, update)
        if mcp_servers:
            names = ", ".join(server.name for server in mcp_servers)
            log.info("session %s: the client's MCP servers (%s) are not used yet", info.id, names)
        self.sessions[info.id] = AcpSession(info.id, folder, settings)
        log.info("session %s loaded in %s (%d turns)", info.id, folder, len(loaded.turns))
        return LoadSessionResponse()

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
        return self.service(load_settings(workspace=detect_workspace(folder)), folder)

    # Turns ------------------------------------------------------------------------------------------
    async def prompt(self, prompt: list[PromptBlock], session_id: str, **kwargs: Any) -> PromptResponse:
        session = self.sessions.get(session_id)
        if session is None:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "unknown session: open it with session/new first"}
            )
        if session_id in self._running:
            raise RequestError.invalid_params(
                {"sessionId": session_id, "reason": "a turn is already running"}
            )
        assert self.client is not None
        service = self.service(session.settings, session.cwd)
        chat = await service.open(session.id)
        text = prompt_text(prompt)
        if chat.info is not None and not chat.info.title:  # made by session/new: titled by its first prompt
            await (await service.sessions.store()).set_title(session.id, " ".join(text.split())[:_TITLE])
        approver = self._approvers.setdefault(session_id, SessionApprover(self.client, session_id))
        control = self._running[session_id] = TurnControl()
        current_session.set(session_id)  # this request's own task: the turn's tools inherit it
        async with self._relay(session, approver) as relay:
            try:
                result = await chat.run(
                    prompt_text(prompt), approver=approver, on_event=relay, control=control
                )
            finally:
                del self._running[session_id]
            session.turns_run += 1
            if result.error is not None:
                relay.put(update_agent_message_text(f"\n\nm2bridge: {result.error}"))
        log.info("session %s: turn ended (%s, %d steps)", session_id, result.stop_reason, result.steps)
        return PromptResponse(stop_reason=stop_reason(result.stop_reason))

    @asynccontextmanager
    async def _relay(self, session: AcpSession, approver: SessionApprover) -> AsyncGenerator[UpdateRelay]:
        assert self.client is not None
        relay = UpdateRelay(self.client, session.id, session.cwd)
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
                if not session.created_here:
                    continue
                if await services[0].sessions.drop_if_unanswered(session.id, self.owner):
                    log.info("session %s never got an answer: dropped", session.id)
        finally:
            for service in services:
                await service.aclose()
