"""The SQLite schema of the session store, and its versioned migrations.

The schema version lives in `PRAGMA user_version`. `MIGRATIONS[i]` takes a database from version
`i` to `i + 1`; all pending migrations run in one transaction, so a process killed half-way leaves
the database at its old version. A database written by a newer m2bridge is refused before anything
is written to it: an older program cannot know what a newer schema means.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from m2bridge.errors import SessionError
from m2bridge.sessions.damage import damaged, is_damage

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "NotASessionStore",
    "SchemaTooNew",
    "check_version",
    "migrate",
]

# Marks the file as an m2bridge store (`PRAGMA application_id`), so a stray SQLite file is not
# mistaken for one. ASCII "m2br".
APPLICATION_ID = 0x6D326272


class SchemaTooNew(SessionError):
    """The database was written by a newer m2bridge than this one."""

    code = "session_store_too_new"


class NotASessionStore(SessionError):
    """The file exists but is not an m2bridge session store."""

    code = "session_store_invalid"


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        """
        CREATE TABLE sessions (
            id             TEXT PRIMARY KEY,
            title          TEXT NOT NULL DEFAULT '',
            workspace      TEXT NOT NULL,
            protocol       TEXT NOT NULL,
            model          TEXT NOT NULL,
            created        REAL NOT NULL,
            updated        REAL NOT NULL,
            -- number of turns stored = index of the next turn; maintained by the triggers below
            head           INTEGER NOT NULL DEFAULT 0 CHECK (head >= 0),
            context_tokens INTEGER NOT NULL DEFAULT 0,
            lease_owner    TEXT,
            lease_expires  REAL,
            -- how many times lease_owner holds the lease (the lease is re-entrant)
            lease_depth    INTEGER NOT NULL DEFAULT 0,
            forked_from    TEXT
        )
        """
    )
    conn.execute("CREATE INDEX sessions_by_updated ON sessions (updated DESC)")
    conn.execute("CREATE INDEX sessions_by_workspace ON sessions (workspace, updated DESC)")
    # A rowid table rather than WITHOUT ROWID: payloads are kilobytes, and WITHOUT ROWID suits
    # small rows only.
    conn.execute(
        """
        CREATE TABLE turns (
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            idx        INTEGER NOT NULL,
            kind       TEXT NOT NULL,
            payload    TEXT NOT NULL,
            created    REAL NOT NULL,
            PRIMARY KEY (session_id, idx)
        )
        """
    )
    # The store's guarantees hold in the database itself, not only in the code that writes it:
    # a turn goes exactly at the session's head (no gap, no overwrite), turns are never edited,
    # and they disappear only together with their session.
    conn.execute(
        """
        CREATE TRIGGER turns_at_head BEFORE INSERT ON turns
        WHEN NEW.idx IS NOT (SELECT head FROM sessions WHERE id = NEW.session_id)
        BEGIN
            SELECT RAISE(ABORT, 'a turn must be appended at the session head');
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER turns_advance_head AFTER INSERT ON turns
        BEGIN
            UPDATE sessions SET head = head + 1 WHERE id = NEW.session_id;
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER turns_append_only BEFORE UPDATE ON turns
        BEGIN
            SELECT RAISE(ABORT, 'turns are append-only');
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER turns_removed_with_session BEFORE DELETE ON turns
        WHEN EXISTS (SELECT 1 FROM sessions WHERE id = OLD.session_id)
        BEGIN
            SELECT RAISE(ABORT, 'turns are removed only together with their session');
        END
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def _read_version(conn: sqlite3.Connection, path: Path) -> int:
    # One read transaction, so the three answers come from one snapshot: read separately, another
    # process's migration could commit in between (version 0, yet tables present).
    own_transaction = not conn.in_transaction
    try:
        if own_transaction:
            conn.execute("BEGIN DEFERRED")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            has_objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        finally:
            if own_transaction and conn.in_transaction:
                conn.execute("COMMIT")  # read-only: nothing is written
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):  # a damaged store, or a file that is no database at all: both can be salvaged
            raise damaged(path, exc) from exc
        raise NotASessionStore(
            f"{path} is not an m2bridge session store ({exc}); move it aside or choose another path"
        ) from exc
    if app_id not in (0, APPLICATION_ID) or (version == 0 and has_objects):
        raise NotASessionStore(
            f"{path} is an SQLite database but not an m2bridge session store; "
            "move it aside or choose another path"
        )
    return version


def check_version(conn: sqlite3.Connection, path: Path) -> int:
    """Return the schema version, refusing (without writing anything) a store from a newer m2bridge."""
    version = _read_version(conn, path)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the session store {path} was written by a newer m2bridge (schema version {version}; "
            f"this m2bridge knows up to version {SCHEMA_VERSION}). Upgrade m2bridge to use it; "
            "it has been left untouched."
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one transaction. `conn` must be in autocommit mode."""
    if check_version(conn, path) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = check_version(conn, path)
        for step in MIGRATIONS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
