"""Every call the conversation service makes on the session store, in one place.

Each method is one store call. They are async already so that when the store gains an async face (its
SQLite work off the event loop), each becomes an `await` here and nothing above this module changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from m2bridge.errors import SessionNotFound
from m2bridge.sessions import SessionInfo, SessionStore
from m2bridge.sessions.display import display_turns
from m2bridge.sessions.unanswered import drop_if_unanswered

__all__ = ["StoreAccess"]


class StoreAccess:
    """The store, opened at first use and closed once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: SessionStore | None = None

    @property
    def store(self) -> SessionStore:
        """The store itself, for the agent (which appends under its lease)."""
        if self._store is None:
            self._store = SessionStore(self.path)
        return self._store

    async def resolve(self, id_or_prefix: str) -> SessionInfo:
        return self.store.resolve(id_or_prefix)

    async def get(self, session_id: str) -> SessionInfo | None:
        try:
            return self.store.get(session_id)
        except SessionNotFound:
            return None

    async def latest(self, workspace: Path) -> SessionInfo | None:
        return self.store.latest(str(workspace))

    async def listed(self, workspace: Path) -> list[SessionInfo]:
        return self.store.list(workspace=str(workspace))

    async def create(self, workspace: Path, protocol: str, model: str, title: str) -> SessionInfo:
        return self.store.create(workspace=str(workspace), protocol=protocol, model=model, title=title)

    async def drop_if_unanswered(self, session_id: str, owner: str) -> bool:
        return drop_if_unanswered(self.store, session_id, owner)

    async def context_tokens(self, session_id: str) -> int:
        """The session's stored context size (what its last complete answer used), 0 if it is gone."""
        info = await self.get(session_id)
        return 0 if info is None else info.context_tokens

    async def display(self, session_id: str) -> tuple[SessionInfo, list[dict[str, Any]]]:
        """A session (by id or prefix) and its turns for display."""
        info = self.store.resolve(session_id)
        return info, display_turns(self.store.load(info.id))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
