"""Where conversations live: an append-only store of turns shared by every m2bridge process."""

from m2bridge.sessions.schema import SCHEMA_VERSION, NotASessionStore, SchemaTooNew
from m2bridge.sessions.store import Lease, LoadedSession, SessionInfo, SessionStore, StoredTurn

__all__ = [
    "SCHEMA_VERSION",
    "Lease",
    "LoadedSession",
    "NotASessionStore",
    "SchemaTooNew",
    "SessionInfo",
    "SessionStore",
    "StoredTurn",
]
