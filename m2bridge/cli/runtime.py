"""What every model command needs: settings, workspace, store, client, agent."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from m2bridge.agent import Agent, AgentEvent
from m2bridge.agent.prompt import system_prompt
from m2bridge.client.model import ModelClient
from m2bridge.config import Settings, load_settings
from m2bridge.errors import SessionNotFound
from m2bridge.sessions import SessionInfo, SessionStore
from m2bridge.sessions.unanswered import drop_if_unanswered
from m2bridge.tools import Approver, Tool
from m2bridge.workspace import detect_workspace

__all__ = ["Runtime", "open_runtime", "open_settings"]


@dataclass
class Runtime:
    settings: Settings
    workspace: Path
    store: SessionStore

    def find_session(self, session: str | None, continue_latest: bool) -> SessionInfo | None:
        if session:
            return self.store.resolve(session)
        if continue_latest:
            latest = self.store.latest(str(self.workspace))
            if latest is None:
                raise SessionNotFound(
                    f"No session to continue for {self.workspace}; start one with `m2bridge chat`."
                )
            return latest
        return None

    @property
    def owner(self) -> str:
        """Who this process is in the store's leases."""
        return f"cli:{os.getpid()}"

    def new_session(self, title: str) -> SessionInfo:
        """A session for a first turn; give it back with `drop_if_unanswered` if that turn gets no answer."""
        return self.store.create(
            workspace=str(self.workspace),
            protocol=self.settings.api,
            model=self.settings.model,
            title=" ".join(title.split())[:80],  # one line in `sessions list`, whatever was piped in
        )

    def drop_if_unanswered(self, session_id: str) -> bool:
        """Remove a session this process created whose first turn failed or stopped before M2 answered."""
        return drop_if_unanswered(self.store, session_id, self.owner)

    def context_tokens(self, session_id: str) -> int:
        """The session's stored context size (what its last complete answer used), 0 if it is gone."""
        try:
            return self.store.get(session_id).context_tokens
        except SessionNotFound:
            return 0

    def elsewhere(self, info: SessionInfo) -> str | None:
        """A note when a session belongs to another workspace than the one the tools work on here."""
        if os.path.realpath(info.workspace) == os.path.realpath(self.workspace):
            return None
        return (
            f"session {info.id} belongs to {info.workspace}; continuing it here, where the tools "
            f"work on {self.workspace} (to work there instead: cd {info.workspace})"
        )

    def agent(
        self,
        client: ModelClient,
        *,
        tools: Sequence[Tool] = (),
        approver: Approver | None = None,
        on_event: Callable[[AgentEvent], None] | None = None,
    ) -> Agent:
        """An agent in this workspace whose leases name this process."""
        return Agent(
            settings=self.settings,
            client=client,
            store=self.store,
            system=system_prompt(self.workspace),
            tools=tools,
            approver=approver,
            on_event=on_event,
            owner=self.owner,
        )


def open_settings(*, quiet: bool = False) -> tuple[Settings, Path]:
    """The settings and the workspace, without opening the store (which may be what needs fixing)."""
    workspace = detect_workspace()
    settings = load_settings(workspace=workspace)
    if not quiet:
        for warning in settings.warnings:
            print(f"m2bridge: {warning}", file=sys.stderr)
    return settings, workspace


def open_runtime(*, quiet: bool = False) -> Runtime:
    settings, workspace = open_settings(quiet=quiet)
    return Runtime(settings=settings, workspace=workspace, store=SessionStore(settings.sessions_db))
