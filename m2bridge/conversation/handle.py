"""One conversation: a session opened or resumed lazily, and its turns.

A new conversation has no session until its first turn runs; the session is created right before that
turn (the agent needs its id to lease and append) and taken back if M2 never answered (a failed
connection, a rejected key, a stop before anything arrived), so a failed start leaves nothing behind."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.agent import Agent, AgentEvent, TurnResult
from m2bridge.agent.events import Compaction
from m2bridge.agent.prompt import system_prompt
from m2bridge.client.model import ModelClient
from m2bridge.config import Settings
from m2bridge.conversation.control import TurnControl
from m2bridge.errors import M2BridgeError, StoreUnavailable
from m2bridge.messages import ContextTurn
from m2bridge.sessions import SessionInfo
from m2bridge.tools import Approver, Tool

if TYPE_CHECKING:
    from m2bridge.conversation.service import ConversationService

__all__ = ["Conversation", "EventSink"]

EventSink = Callable[[AgentEvent], None]

_TITLE = 80


class Conversation:
    def __init__(self, service: ConversationService, info: SessionInfo | None, workspace: Path) -> None:
        self._service = service
        self.info = info
        # Where the tools work and AGENTS.md comes from; a resumed session may come from elsewhere.
        self.workspace = workspace
        self._control: TurnControl | None = None

    @property
    def session_id(self) -> str | None:
        """None until the first turn has stored a session (and again if that turn left none)."""
        return None if self.info is None else self.info.id

    def elsewhere(self) -> str | None:
        """A note when the session belongs to another workspace than the one the tools work on here."""
        if self.info is None or os.path.realpath(self.info.workspace) == os.path.realpath(self.workspace):
            return None
        return (
            f"session {self.info.id} belongs to {self.info.workspace}; continuing it here, where the tools "
            f"work on {self.workspace} (to work there instead: cd {self.info.workspace})"
        )

    async def context_tokens(self) -> int:
        """The session's stored context size (what its last complete answer used); 0 with no session."""
        return 0 if self.info is None else await self._service.sessions.context_tokens(self.info.id)

    def forget(self) -> None:
        """The next turn starts a new session."""
        self.info = None

    def cancel(self) -> None:
        """Stop the running turn; what arrived is kept, marked incomplete."""
        if self._control is not None:
            self._control.cancel()

    async def run(
        self,
        prompt: str,
        *,
        approver: Approver | None = None,
        on_event: EventSink | None = None,
        context: Sequence[ContextTurn] = (),
        control: TurnControl | None = None,
        max_steps: int | None = None,
    ) -> TurnResult:
        """One turn. Never raises for what a user can fix: the error is in the result."""
        service = self._service
        control = self._control = control or TurnControl()
        settings = service.settings
        if max_steps is not None:
            settings = dataclasses.replace(settings, max_steps=max_steps)
        created = self.info is None
        try:  # the key first: nothing is opened or stored for a turn that cannot be sent
            client = service.clients.client(service.settings)
            tools = await service.tools.tools()
            if self.info is None:
                title = " ".join(prompt.split())[:_TITLE]  # one line in `sessions list`, whatever was sent
                self.info = await service.sessions.create(self.workspace, settings.api, settings.model, title)
        except M2BridgeError as err:
            return TurnResult(session_id=self.session_id or "", stop_reason="error", error=err)
        agent = await self._agent(settings, client, tools, approver, on_event)
        control.attach(agent)
        if control.cancelled:  # stopped before it started (run_turn would forget an earlier cancel)
            result = TurnResult(session_id=self.info.id, stop_reason="cancelled", incomplete=True)
        else:
            result = await agent.run_turn(self.info.id, prompt, context)
        # A session whose answer is kept on this machine until the store takes it is not unanswered.
        kept = isinstance(result.error, StoreUnavailable) and result.error.kept is not None
        unanswered = created and result.stop_reason in ("error", "cancelled") and not kept
        if unanswered and await service.sessions.drop_if_unanswered(self.info.id, service.owner):
            self.info, result.session_id = None, ""
        return result

    async def compact(self) -> Compaction:
        """Summarise the session's older turns now (between turns); raises what a user can fix (the key)."""
        if self.info is None:
            reason = "this conversation has no turns yet"
            return Compaction(f"Nothing was summarised: {reason}.", "request", 0, 0, False, reason)
        service = self._service
        client = service.clients.client(service.settings)
        agent = await self._agent(service.settings, client, [], None, None)
        return await agent.compact(self.info.id)

    async def _agent(
        self,
        settings: Settings,
        client: ModelClient,
        tools: Sequence[Tool],
        approver: Approver | None,
        on_event: EventSink | None,
    ) -> Agent:
        service = self._service
        return Agent(
            settings=settings,
            client=client,
            store=await service.sessions.store(),
            system=system_prompt(self.workspace, service.note),
            tools=tools,
            approver=approver,
            on_event=on_event,
            owner=service.owner,
        )
