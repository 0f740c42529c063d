"""Copying a session from one store to another (SQLite or PostgreSQL, either way), byte-identical.

The session keeps its id, title, times and context size, and every turn record is copied as the bytes
it was stored as: never loaded and re-serialised, so what M2 sent (thinking, signatures, tool-call
ids) arrives exactly as it was kept, and even a record this version cannot read travels unchanged.
"""

from __future__ import annotations

from m2bridge.sessions.contract import Store
from m2bridge.sessions.store import SessionInfo

__all__ = ["copy_session"]


def copy_session(source: Store, target: Store, id_or_prefix: str) -> SessionInfo:
    """Copy the session `id_or_prefix` names in `source` into `target`, under the same id; the copy.

    SessionError if `target` already holds a session with that id (nothing is written then)."""
    info = source.resolve(id_or_prefix)
    return target.restore(source.records(info.id))
