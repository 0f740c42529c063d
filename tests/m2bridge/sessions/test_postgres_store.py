"""The PostgreSQL store's own concerns: migrations on first use (two processes at once, a newer schema
refused), a clear error when the database cannot be reached, and a URL's password never shown."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from m2bridge.errors import SessionError
from m2bridge.messages import UserTurn
from m2bridge.sessions import SchemaTooNew, open_store_at
from m2bridge.sessions.postgres.schema import SCHEMA_VERSION
from m2bridge.sessions.postgres.store import PostgresSessionStore
from m2bridge.sessions.postgres.url import hide_password
from tests.support.postgres import PostgresDatabase

ROOT = Path(__file__).resolve().parents[3]


def test_processes_opening_a_new_database_at_once_migrate_it_once(postgres_db: PostgresDatabase):
    # Threads stand for processes here: each opens its own connections, which is all the server sees.
    start = threading.Barrier(6)
    opened: list[PostgresSessionStore] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        start.wait(10)
        try:
            opened.append(PostgresSessionStore(postgres_db.url, pool_size=1))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert failures == []
        assert len(opened) == 6
        with psycopg.connect(postgres_db.url) as conn:
            versions = conn.execute("SELECT version FROM m2bridge.migrations ORDER BY version").fetchall()
        assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
        assert postgres_db.owner_password not in repr(opened[0]) + str(opened[0].path)
        session = opened[0].create(workspace="/w", protocol="anthropic", model="m")
        assert opened[5].append(session.id, [UserTurn(text="x")], expected_head=0) == 1
    finally:
        for store in opened:
            store.close()


def test_a_database_written_by_a_newer_m2bridge_is_refused_and_left_untouched(postgres_db: PostgresDatabase):
    with PostgresSessionStore(postgres_db.url, pool_size=1) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="m")
    with psycopg.connect(postgres_db.url) as conn:
        conn.execute("INSERT INTO m2bridge.migrations (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNew, match="newer m2bridge") as caught:
        PostgresSessionStore(postgres_db.url, pool_size=1)
    assert postgres_db.owner_password not in str(caught.value)
    with psycopg.connect(postgres_db.url) as conn:
        assert conn.execute("SELECT id FROM m2bridge.sessions").fetchall() == [(session.id,)]


def test_an_unreachable_database_is_a_clear_error_that_never_shows_the_password(
    postgres_db: PostgresDatabase, caplog
):
    secret = "s3cret-Pa55word"
    closed_port = postgres_db.url.replace(f":{postgres_db.server.port}/", ":1/")
    wrong_password = postgres_db.server.url(postgres_db.owner, secret, postgres_db.name)
    with caplog.at_level(logging.DEBUG):  # every logger, psycopg's included
        for url in (closed_port.replace(postgres_db.owner_password, secret), wrong_password):
            with pytest.raises(SessionError, match="cannot reach the session store") as caught:
                open_store_at(url)
            message = str(caught.value)
            assert secret not in message and "***" in message
            assert postgres_db.owner in message  # who and where, so the user can tell what to fix
    assert secret not in caplog.text


def test_a_connection_dropped_while_idle_is_replaced_before_the_next_call(postgres_db: PostgresDatabase):
    # As a server restart or a proxy's idle limit does during a long turn.
    with PostgresSessionStore(postgres_db.url, pool_size=1) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="m")
        drop_connections(postgres_db)
        assert store.append(session.id, [UserTurn(text="x")], expected_head=0) == 1
        assert store.load(session.id).head == 1


def test_a_database_that_goes_away_in_use_is_a_clear_error_and_nothing_half_written(
    postgres_db: PostgresDatabase, caplog
):
    caplog.set_level(logging.DEBUG)  # every logger: the pool's reconnection attempts log
    with PostgresSessionStore(postgres_db.url, pool_size=1, timeout=1) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="m")
        postgres_db.server.admin_sql(f"ALTER DATABASE {postgres_db.name} ALLOW_CONNECTIONS false")
        drop_connections(postgres_db)
        with pytest.raises(SessionError, match="cannot reach the session store") as caught:
            store.append(session.id, [UserTurn(text="x"), UserTurn(text="y")], expected_head=0)
        assert postgres_db.owner_password not in str(caught.value)
        postgres_db.server.admin_sql(f"ALTER DATABASE {postgres_db.name} ALLOW_CONNECTIONS true")
        # Back: the store reconnects by itself (the pool retries with a backoff, so allow it a few
        # seconds), and the refused append left nothing behind.
        deadline = time.monotonic() + 20
        while True:
            try:
                loaded = store.load(session.id)
                break
            except SessionError:
                assert time.monotonic() < deadline, "the store never reconnected"
        assert loaded.head == 0
        assert store.append(session.id, [UserTurn(text="x")], expected_head=0) == 1
    assert "m2bridge-sessions" in caplog.text  # the pool did log its failures (so this checks something)
    assert postgres_db.owner_password not in caplog.text


def drop_connections(db: PostgresDatabase) -> None:
    db.server.admin_sql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{db.owner}'"
    )


def test_passwords_are_hidden_wherever_a_url_is_shown():
    assert hide_password("postgresql://me:hunter2@db.example.com:5432/m2?sslmode=verify-full") == (
        "postgresql://me:***@db.example.com:5432/m2?sslmode=verify-full"
    )
    assert (
        hide_password("postgresql://db/m2?user=me&password=hunter2")
        == "postgresql://db/m2?user=me&password=***"
    )
    assert hide_password("postgresql://me@db/m2") == "postgresql://me@db/m2"


def test_sqlite_users_never_import_psycopg(tmp_path):
    code = (
        "import sys\n"
        "from m2bridge.sessions import open_store_at\n"
        "from m2bridge.sessions.async_store import AsyncSessionStore\n"
        "from m2bridge.conversation import ConversationService\n"
        f"store = open_store_at({str(tmp_path / 's.db')!r})\n"
        "store.create(workspace='/w', protocol='anthropic', model='m')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    ).stdout
    assert out.strip() == "[]"
