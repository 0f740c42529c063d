"""Where conversations live: an append-only store of turns shared by every m2bridge process."""

from m2bridge.sessions.contract import Store
from m2bridge.sessions.opening import StoreLocation, open_store, open_store_at, store_location
from m2bridge.sessions.schema import SCHEMA_VERSION, NotASessionStore, SchemaTooNew
from m2bridge.sessions.store import (
    Lease,
    LoadedSession,
    SessionInfo,
    SessionRecords,
    SessionStore,
    StoredTurn,
)

__all__ = [
    "SCHEMA_VERSION",
    "Lease",
    "LoadedSession",
    "NotASessionStore",
    "SchemaTooNew",
    "SessionInfo",
    "SessionRecords",
    "SessionStore",
    "Store",
    "StoreLocation",
    "StoredTurn",
    "open_store",
    "open_store_at",
    "store_location",
]
