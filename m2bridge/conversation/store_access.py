"""Every call the conversation service makes on the session store, in one place.

Each method is one call on the store's async face (its database work runs in worker threads), so a
surface's session lookups never hold up the event loop that streams another turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from m2bridge.errors import SessionNotFound
from m2bridge.sessions import SessionInfo, StoreLocation
from m2bridge.sessions.async_store import AsyncSessionStore
from m2bridge.sessions.display import display_turns

__all__ = ["StoreAccess"]


class StoreAccess:
    """The store, opened at first use and closed once."""

    def __init__(self, location: StoreLocation) -> None:
        # An SQLite file's path, or a PostgreSQL URL (see `m2bridge.sessions.store_location`).
        self.location = location
        self._store: AsyncSessionStore | None = None

    async def store(self) -> AsyncSessionStore:
        """The store itself, for the agent (which appends under its lease)."""
        if self._store is None:
            self._store = await AsyncSessionStore.open(self.location)
        return self._store

    async def resolve(self, id_or_prefix: str) -> SessionInfo:
        return await (await self.store()).resolve(id_or_prefix)

    async def get(self, session_id: str) -> SessionInfo | None:
        try:
            return await (await self.store()).get(session_id)
        except SessionNotFound:
            return None

    async def latest(self, workspace: Path) -> SessionInfo | None:
        return await (await self.store()).latest(str(workspace))

    async def listed(self, workspace: Path) -> list[SessionInfo]:
        return await (await self.store()).list(workspace=str(workspace))

    async def create(self, workspace: Path, protocol: str, model: str, title: str) -> SessionInfo:
        store = await self.store()
        return await store.create(workspace=str(workspace), protocol=protocol, model=model, title=title)

    async def drop_if_unanswered(self, session_id: str, owner: str) -> bool:
        return await (await self.store()).drop_if_unanswered(session_id, owner)

    async def context_tokens(self, session_id: str) -> int:
        """The session's stored context size (what its last complete answer used), 0 if it is gone."""
        info = await self.get(session_id)
        return 0 if info is None else info.context_tokens

    async def display(self, session_id: str) -> tuple[SessionInfo, list[dict[str, Any]]]:
        """A session (by id or prefix) and its turns for display."""
        store = await self.store()
        info = await store.resolve(session_id)
        return info, display_turns(await store.load(info.id))

    async def aclose(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.aclose()
