"""Opening the session store the settings name: PostgreSQL when a database URL is set, else SQLite.

The one place every caller (the CLI, doctor, the conversation service) opens a store through, so the
choice is made once. psycopg is imported only when a database URL is used: SQLite users never load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.errors import SessionError
from m2bridge.sessions.contract import Store
from m2bridge.sessions.postgres.url import is_database_url
from m2bridge.sessions.store import SessionStore

if TYPE_CHECKING:
    from m2bridge.config import Settings

__all__ = ["StoreLocation", "open_store", "open_store_at", "store_location"]

# A PostgreSQL URL (str), or the path of an SQLite file.
StoreLocation = Path | str


def store_location(settings: Settings) -> StoreLocation:
    """Where the settings put the store: `database_url` if set, else `sessions.db` in the home."""
    return settings.database_url or settings.sessions_db


def open_store_at(location: StoreLocation) -> Store:
    """Open (creating or migrating if needed) the store at a database URL or an SQLite file path."""
    if isinstance(location, str) and is_database_url(location):
        try:
            from m2bridge.sessions.postgres.store import PostgresSessionStore
        except ImportError as exc:  # an environment installed before PostgreSQL support came
            raise SessionError(
                f"the session store is a PostgreSQL database, but {exc.name or 'psycopg'} is not installed; "
                "reinstall m2bridge (scripts/setup), or pip install 'psycopg[binary]' psycopg_pool"
            ) from exc
        return PostgresSessionStore(location)
    return SessionStore(location)


def open_store(settings: Settings) -> Store:
    """Open the store the settings name."""
    return open_store_at(store_location(settings))
