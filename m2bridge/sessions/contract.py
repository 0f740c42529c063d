"""What every session store offers, whichever database holds it: the operations callers may rely on.

Two backends implement it: `SessionStore` (SQLite in `M2BRIDGE_HOME`, the default) and
`PostgresSessionStore` (`M2BRIDGE_DATABASE_URL`). Both keep the same guarantees (append-only turns
acknowledged once durable, the optimistic head, leases, byte-identical forks) and raise the same
errors; `opening.py` picks one.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from m2bridge.messages import Turn
from m2bridge.sessions.store import Lease, LoadedSession, SessionInfo, SessionRecords

__all__ = ["Store"]


class Store(Protocol):
    """A session store (see `store.py` for what each operation promises)."""

    @property
    def path(self) -> Path | str:
        """Where the store is, fit for a message (a database URL without its password)."""
        ...

    def create(self, *, workspace: str, protocol: str, model: str, title: str = "") -> SessionInfo: ...

    def get(self, session_id: str) -> SessionInfo: ...

    def resolve(self, id_or_prefix: str) -> SessionInfo: ...

    def list(self, *, workspace: str | None = None, limit: int = 100) -> builtins.list[SessionInfo]: ...

    def latest(self, workspace: str) -> SessionInfo | None: ...

    def set_title(self, session_id: str, title: str) -> None: ...

    def fork(self, session_id: str) -> SessionInfo: ...

    def remove(self, session_id: str, *, force: bool = False) -> None: ...

    def load(self, session_id: str) -> LoadedSession: ...

    def append(
        self,
        session_id: str,
        turns: Sequence[Turn],
        *,
        expected_head: int,
        lease: Lease | None = None,
        context_tokens: int | None = None,
    ) -> int: ...

    def acquire(self, session_id: str, owner: str, ttl: float = 30.0) -> Lease: ...

    def refresh_lease(self, lease: Lease) -> float: ...

    def release_lease(self, lease: Lease) -> None: ...

    def records(self, session_id: str) -> SessionRecords: ...

    def restore(self, records: SessionRecords) -> SessionInfo: ...

    def close(self) -> None: ...
