"""The ACP agent: the methods an editor calls, on the engine's conversation service.

This increment answers `initialize`, `session/new` and `session/list`; prompts, permissions and
`session/load` come next (see issue 17). Until then `session/load` is not offered in the capabilities."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.interfaces import Client
from acp.schema import (
    AcpMcpServer,
    AgentCapabilities,
    ClientCapabilities,
    HttpMcpServer,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    McpServerStdio,
    NewSessionResponse,
    PromptCapabilities,
    SessionInfo,
    SseMcpServer,
)

from acp_agent.sessions import AcpSession, checked_cwd
from m2bridge import __version__
from m2bridge.config import Settings, load_settings
from m2bridge.conversation import ConversationService
from m2bridge.errors import ConfigError
from m2bridge.sandbox_choice import SandboxChoice, choose_sandbox
from m2bridge.workspace import detect_workspace

__all__ = ["AUTH_REQUIRED", "M2Agent"]

log = logging.getLogger("m2bridge.acp")

# ACP's code for "authenticate first" (the SDK's RequestError.auth_required), with our own message.
AUTH_REQUIRED = -32000

McpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio


class M2Agent:
    """One per `m2bridge acp` process: one conversation service, any number of sessions."""

    def __init__(self, sandbox: SandboxChoice, owner: str) -> None:
        self.sandbox = sandbox
        self.owner = owner
        self.client: Client | None = None
        self.client_capabilities: ClientCapabilities | None = None
        self.sessions: dict[str, AcpSession] = {}
        self._service: ConversationService | None = None

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
                load_session=False,  # offered once session/load replays a stored session
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

    def service(self, settings: Settings, cwd: str) -> ConversationService:
        if self._service is None:
            self._service = ConversationService(settings, Path(cwd), owner=self.owner)
        return self._service

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
        service = self.service(settings, cwd)
        info = await service.sessions.create(folder, settings.api, settings.model, "")
        self.sessions[info.id] = AcpSession(info.id, folder, settings, created_here=True)
        if mcp_servers:
            names = ", ".join(server.name for server in mcp_servers)
            log.info("session %s: the client's MCP servers (%s) are not used yet", info.id, names)
        if additional_directories:
            log.info("session %s: additional directories are not used yet", info.id)
        log.info("session %s opened in %s", info.id, folder)
        return NewSessionResponse(session_id=info.id)

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        if self._service is None:
            settings = load_settings(workspace=detect_workspace(checked_cwd(cwd)) if cwd else None)
            service = self.service(settings, cwd or ".")
        else:
            service = self._service
        store = await service.sessions.store()
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

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        log.info("session %s: cancel (no turn runs in this increment)", session_id)

    async def aclose(self) -> None:
        """Drop the sessions made here that never got an answer, then close the service."""
        if self._service is None:
            return
        service, self._service = self._service, None
        try:
            for session in self.sessions.values():
                if session.created_here and await service.sessions.drop_if_unanswered(session.id, self.owner):
                    log.info("session %s never got an answer: dropped", session.id)
        finally:
            await service.aclose()
