"""The conversation service: what every surface (terminal, editor, MCP) runs its turns through.

It owns the session store, the model client and the tools for as long as it is open; a surface brings
only an approver, an event sink and an encoder. The engine imports no tool and no surface: the tools come
in from the surface, as a list or as an async context manager that opens them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from m2bridge.client.events import RetryScheduled
from m2bridge.config import Settings
from m2bridge.conversation.client_slot import ClientSlot
from m2bridge.conversation.handle import Conversation
from m2bridge.conversation.store_access import StoreAccess
from m2bridge.conversation.tool_slot import ToolSlot, ToolSource
from m2bridge.errors import SessionNotFound
from m2bridge.sessions import store_location

__all__ = ["ConversationService"]


class ConversationService:
    def __init__(
        self,
        settings: Settings,
        workspace: Path,
        *,
        owner: str,
        tools: ToolSource = (),
        note: str = "",
        on_retry: Callable[[RetryScheduled], None] | None = None,
    ) -> None:
        """`owner` names this process in the store's leases; `note` joins the system prompt."""
        self.settings = settings  # a surface may swap them; the next turn uses the new ones
        self.workspace = workspace
        self.owner = owner
        self.note = note
        self.sessions = StoreAccess(store_location(settings))
        self.clients = ClientSlot(on_retry)
        self.tools = ToolSlot(tools)

    async def open(
        self,
        session: str | None = None,
        *,
        latest: bool = False,
        missing_ok: bool = False,
        workspace: Path | None = None,
    ) -> Conversation:
        """A conversation on a session (an id or unique prefix), on the latest one of the workspace, or
        new. Nothing is stored here: a new session is created by its first turn. SessionNotFound for an
        unknown id (or, with `missing_ok`, a new conversation instead)."""
        where = workspace or self.workspace
        info = None
        if session:
            try:
                info = await self.sessions.resolve(session)
            except SessionNotFound:
                if not missing_ok:
                    raise
        elif latest:
            info = await self.sessions.latest(where)
            if info is None:
                raise SessionNotFound(f"No session to continue for {where}; start one with `m2bridge chat`.")
        return Conversation(self, info, where)

    async def aclose(self) -> None:
        """Close the tools (killing the processes they started), the model clients and the store."""
        try:
            await self.tools.aclose()
        finally:
            await self.clients.aclose()
            await self.sessions.aclose()

    async def __aenter__(self) -> ConversationService:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
