"""The store file itself: permissions, pragmas, schema versions and migrations.

SQLite only: the file, its modes and PRAGMAs. The PostgreSQL schema's migrations are tested in
test_postgres_store.py."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from m2bridge.errors import SessionError, StoreDamaged
from m2bridge.messages import UserTurn
from m2bridge.sessions import SCHEMA_VERSION, NotASessionStore, SchemaTooNew, SessionStore
from m2bridge.sessions import schema as schema_module

ROOT = Path(__file__).resolve().parents[3]

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def make_store(path: Path) -> str:
    with SessionStore(path) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
        store.append(session.id, [UserTurn(text="hello")], expected_head=0)
        return session.id


@posix_only
def test_a_new_store_file_and_its_new_folder_are_private(tmp_path):
    old = os.umask(0o002)  # a permissive umask must not leak into the modes
    try:
        path = tmp_path / "state" / "m2bridge" / "sessions.db"
        with SessionStore(path) as store:
            session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
            store.append(session.id, [UserTurn(text="secret")], expected_head=0)
            assert mode(path.parent) == 0o700
            assert mode(path) == 0o600
            for sidecar in ("sessions.db-wal", "sessions.db-shm"):
                assert mode(path.parent / sidecar) == 0o600
    finally:
        os.umask(old)


@posix_only
def test_an_existing_folder_keeps_its_mode(tmp_path):
    tmp_path.chmod(0o755)
    SessionStore(tmp_path / "s.db").close()
    assert mode(tmp_path) == 0o755


def test_a_new_store_uses_wal_full_sync_a_busy_timeout_and_foreign_keys(tmp_path):
    with SessionStore(tmp_path / "s.db") as store:
        conn = store._connection()
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_store_from_a_newer_m2bridge_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "s.db"
    make_store(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = snapshot(tmp_path)

    with pytest.raises(SchemaTooNew) as caught:
        SessionStore(path)
    message = str(caught.value)
    assert "newer m2bridge" in message and "Upgrade m2bridge" in message and str(path) in message
    assert isinstance(caught.value, SessionError)
    assert snapshot(tmp_path) == before


def test_reopening_a_store_keeps_its_sessions_and_migrates_nothing(tmp_path):
    path = tmp_path / "s.db"
    session_id = make_store(path)
    with SessionStore(path) as store:
        assert store.load(session_id).turns[0].turn == UserTurn(text="hello")


def test_pending_migrations_run_in_order_and_keep_the_data(tmp_path, monkeypatch):
    path = tmp_path / "s.db"
    session_id = make_store(path)
    ran: list[int] = []

    def v2(conn: sqlite3.Connection) -> None:
        ran.append(2)
        conn.execute("ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    def v3(conn: sqlite3.Connection) -> None:
        ran.append(3)
        conn.execute("UPDATE sessions SET pinned = 1")

    monkeypatch.setattr(schema_module, "MIGRATIONS", [*schema_module.MIGRATIONS, v2, v3])
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", 3)
    with SessionStore(path) as store:
        assert ran == [2, 3]
        conn = store._connection()
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)
        assert conn.execute("SELECT pinned FROM sessions").fetchall() == [(1,)]
        assert store.load(session_id).head == 1
    SessionStore(path).close()
    assert ran == [2, 3]  # already at version 3: nothing runs again


def test_a_failing_migration_leaves_the_store_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "s.db"
    session_id = make_store(path)

    def v2(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE sessions ADD COLUMN pinned INTEGER")

    def v3(conn: sqlite3.Connection) -> None:
        raise RuntimeError("migration bug")

    monkeypatch.setattr(schema_module, "MIGRATIONS", [*schema_module.MIGRATIONS, v2, v3])
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", 3)
    with pytest.raises(RuntimeError, match="migration bug"):
        SessionStore(path)
    monkeypatch.undo()

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert "pinned" not in columns  # v2 was rolled back with v3
    finally:
        conn.close()
    with SessionStore(path) as store:
        assert store.load(session_id).head == 1


def test_a_file_that_is_not_a_session_store_is_refused_and_left_alone(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)

    # Junk where the store should be looks like a store whose header was destroyed: the message
    # offers `m2bridge sessions recover`, which keeps the file aside.
    with pytest.raises(StoreDamaged, match=r"file is not a database.*m2bridge sessions recover"):
        SessionStore(junk)
    with pytest.raises(NotASessionStore, match="not an m2bridge session store"):
        SessionStore(other)
    assert snapshot(tmp_path) == before


def test_processes_opening_a_new_store_at_the_same_time_all_succeed(tmp_path):
    # Each opener checks the version, switches to WAL and migrates while the others do the same.
    script = (
        "import sys\n"
        "from m2bridge.sessions import SessionStore\n"
        "with SessionStore(sys.argv[1]) as s:\n"
        "    s.create(workspace='/w', protocol='anthropic', model='M')\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for attempt in range(2):
        path = tmp_path / f"fresh{attempt}" / "s.db"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path)], stderr=subprocess.PIPE, text=True, env=env
            )
            for _ in range(6)
        ]
        try:
            errors = [proc.communicate(timeout=60)[1] for proc in procs]
        finally:
            for proc in procs:  # a failure must not leave openers running into later tests
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert [proc.returncode for proc in procs] == [0] * 6, errors
        with SessionStore(path) as store:
            assert len(store.list()) == 6
