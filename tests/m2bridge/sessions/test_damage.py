"""SQLite's errors as the store reports them: damage names the way out, a busy file names the file.

SQLite only: a damaged or locked file; a PostgreSQL server that cannot be reached is
test_postgres_store.py's."""

from __future__ import annotations

import sqlite3

import pytest

from m2bridge.errors import SessionError, StoreDamaged
from m2bridge.sessions import SessionStore
from m2bridge.sessions import store as store_module
from m2bridge.sessions.damage import is_damage


def test_corruption_and_not_a_database_are_damage_while_other_errors_are_not(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database " * 100)
    conn = sqlite3.connect(junk)
    with pytest.raises(sqlite3.DatabaseError) as not_a_database:
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    conn.close()
    assert is_damage(not_a_database.value)
    assert is_damage(sqlite3.DatabaseError("database disk image is malformed"))
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE TABLE t (a UNIQUE)")
    memory.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as integrity:
        memory.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as missing:
        memory.execute("SELECT * FROM nowhere")
    assert not is_damage(integrity.value) and not is_damage(missing.value)
    assert not is_damage(ValueError("malformed"))


def test_a_store_locked_too_long_by_another_writer_is_a_session_error_naming_the_file(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    SessionStore(db).close()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.1)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a write, stuck
    try:
        with (
            SessionStore(db) as store,
            pytest.raises(SessionError, match="could not be used: database is locked") as caught,
        ):
            store.create(workspace="/w", protocol="anthropic", model="m")
        assert str(db) in str(caught.value) and not isinstance(caught.value, StoreDamaged)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
