"""The store's change feed: a followed session that grows is reported with its new turn count, whichever
connection or process wrote it; what nobody follows, and what the reader already shows, is not; a
removed session is reported gone; the feed reads the database only when it may have changed (SQLite's
change counter moved, PostgreSQL sent its NOTIFY).

On both backends (the `store` fixture of conftest.py), and on PostgreSQL the attacks on row-level
security: the NOTIFY reaches every role, so what it wakes must re-read under the reader's own rights."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import pytest

from m2bridge.errors import StoreUnavailable
from m2bridge.messages import UserTurn
from m2bridge.sessions import Store
from m2bridge.sessions.changes import (
    ChangeFeed,
    ChangeSource,
    SessionChange,
    change_feed_for,
    sqlite_change_feed,
)

# Every wait below is bounded; none of them measures anything.
BOUND = 10.0
WRITER = Path(__file__).with_name("store_writer.py")


def feed_of(store: Store) -> ChangeFeed:
    """The feed the CLI and the language server would use on this store (SQLite's at a short interval)."""
    feed = change_feed_for(store, interval=0.02)
    assert feed is not None
    return feed


def new_session(store: Store) -> str:
    return store.create(workspace="/work/project", protocol="anthropic", model="MiniMax-M2").id


def add_turn(store: Store, session_id: str) -> int:
    head = store.get(session_id).turns
    return store.append(session_id, [UserTurn(text=f"turn {head}")], expected_head=head)


async def next_change(feed: ChangeFeed) -> SessionChange:
    return await asyncio.wait_for(feed.next(), BOUND)


async def no_change_within(feed: ChangeFeed, seconds: float) -> None:
    try:
        change = await asyncio.wait_for(feed.next(), seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected change: {change}")


async def test_a_turn_appended_by_another_connection_of_this_process_is_reported_with_the_new_count(store):
    session = new_session(store)
    feed = feed_of(store)
    feed.follow(session, 0)
    try:
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 1)
        add_turn(store, session)
        add_turn(store, session)
        change = await next_change(feed)
        assert change.session_id == session and change.turns in (2, 3)
        if change.turns == 2:
            assert await next_change(feed) == SessionChange(session, 3)
    finally:
        await feed.aclose()


async def test_turns_appended_by_another_process_are_reported(store, location):
    session = new_session(store)
    feed = feed_of(store)
    feed.follow(session, 0)
    try:
        await first_look_taken(feed)
        subprocess.run(
            [sys.executable, str(WRITER), str(location), session, "other", "1", "--batch", "2"],
            check=True,
            capture_output=True,
            timeout=BOUND * 3,
        )
        assert await next_change(feed) == SessionChange(session, 2)
    finally:
        await feed.aclose()


async def first_look_taken(feed: ChangeFeed) -> None:
    """Lets the feed take its first look (so what the test writes next comes after it)."""
    await no_change_within(feed, 0.1)


async def test_what_the_reader_already_shows_and_sessions_nobody_follows_are_not_reported(store):
    shown, other = new_session(store), new_session(store)
    add_turn(store, shown)
    feed = feed_of(store)
    feed.follow(shown, 1)
    try:
        add_turn(store, other)
        await no_change_within(feed, 0.3)
        add_turn(store, shown)
        assert await next_change(feed) == SessionChange(shown, 2)
    finally:
        await feed.aclose()


async def test_a_turn_that_landed_before_the_feed_started_is_reported_against_what_the_reader_shows(
    store,
):
    session = new_session(store)
    add_turn(store, session)  # the reader loaded the session before this turn
    feed = feed_of(store)
    feed.follow(session, 0)
    try:
        assert await next_change(feed) == SessionChange(session, 1)
    finally:
        await feed.aclose()


async def test_turns_before_following_from_now_are_not_reported_but_later_ones_are(store):
    session = new_session(store)
    feed = feed_of(store)
    feed.follow(session, 0)
    try:
        await first_look_taken(feed)
        add_turn(store, session)  # the reader's own turn
        assert await feed.follow_now(session) == 1
        await no_change_within(feed, 0.3)
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 2)
    finally:
        await feed.aclose()


async def test_a_removed_session_is_reported_gone_and_no_longer_followed(store):
    session = new_session(store)
    feed = feed_of(store)
    feed.follow(session, 0)
    try:
        store.remove(session)
        assert await next_change(feed) == SessionChange(session, None)
        assert feed.followed == {}
    finally:
        await feed.aclose()


class CountingSource:
    """The backend's real source, counting how often the feed reads the sessions table."""

    def __init__(self, real: ChangeSource) -> None:
        self.real = real
        self.reads = 0

    async def changed(self) -> None:
        await self.real.changed()

    async def heads(self, session_ids: Collection[str]) -> dict[str, int]:
        self.reads += 1
        return await self.real.heads(session_ids)

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_the_sessions_table_is_read_only_when_the_store_may_have_changed(store):
    session = new_session(store)
    source = CountingSource(feed_of(store).source)
    feed = ChangeFeed(source)
    feed.follow(session, 0)
    try:
        await no_change_within(feed, 0.5)  # SQLite: some 25 looks at the counter while nothing happens
        idle_reads = source.reads
        assert idle_reads <= 2  # the first look (and the follow's wake-up), then nothing
        lease = store.acquire(session, "someone")  # no turn: PostgreSQL does not even notify
        lease.release()
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 1)
        assert source.reads <= idle_reads + 4
    finally:
        await feed.aclose()


async def test_the_sqlite_feed_never_creates_a_store_file(tmp_path):
    feed = sqlite_change_feed(tmp_path / "missing.db")
    feed.follow("abc", 0)
    with pytest.raises(Exception, match="cannot follow the session store"):
        await next_change(feed)
    await feed.aclose()
    assert not (tmp_path / "missing.db").exists()


async def test_a_session_followed_from_now_is_reported_only_when_it_grows_later(store):
    session = new_session(store)
    add_turn(store, session)
    feed = feed_of(store)
    try:
        assert await feed.follow_now(session) == 1
        await no_change_within(feed, 0.2)
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 2)
        assert await feed.follow_now("gone12345678") is None and set(feed.followed) == {session}
    finally:
        await feed.aclose()


# -- PostgreSQL: LISTEN/NOTIFY, row-level security, migration, lost connections ---------------------


def role_name(url: str) -> str:
    return url.split("://")[1].split(":")[0]


def append_with_raw_sql(url: str, session_id: str) -> None:
    """One turn appended by hand, as the session's owner, past m2bridge: what any client could do."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO m2bridge.turns (session_id, idx, kind, payload, created)"
            " SELECT id, head, 'user', %s, 0 FROM m2bridge.sessions WHERE id = %s",
            (UserTurn(text="by hand").model_dump_json().encode(), session_id),
        )


def listening(url: str):
    """A plain connection LISTENing on the store's channel, as the role `url` names."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    conn.execute("LISTEN m2bridge_sessions")
    return conn


def notifications_within(conn, seconds: float) -> list[tuple[str, str]]:
    return [(n.channel, n.payload) for n in conn.notifies(timeout=seconds, stop_after=1)]


@pytest.fixture
def alice(postgres_db):
    from m2bridge.sessions.postgres.store import PostgresSessionStore

    with PostgresSessionStore(postgres_db.url, pool_size=2) as store:
        yield store


@pytest.fixture
def bob_url(postgres_db, alice) -> str:
    url, _ = postgres_db.role("bob")
    return url


async def test_another_roles_session_reads_as_gone_though_her_notify_reaches_him_without_a_word(
    alice, bob_url
):
    from m2bridge.sessions.postgres.changes import postgres_change_feed

    hers = new_session(alice)
    add_turn(alice, hers)
    bob_hears = listening(bob_url)
    bob = postgres_change_feed(bob_url)
    bob.follow(hers, 1)  # he learnt her session's id (a log, a screenshot) and follows it
    try:
        assert await next_change(bob) == SessionChange(hers, None)
        assert await bob.follow_now(hers) is None
        bob.follow(hers, 0)  # insisting changes nothing
        assert await next_change(bob) == SessionChange(hers, None)
        append_with_raw_sql(alice.url, hers)
        # Her commit reaches his connection (NOTIFY passes by row-level security), saying nothing.
        assert notifications_within(bob_hears, BOUND) == [("m2bridge_sessions", "")]
        assert await bob.source.heads([hers]) == {}
        await no_change_within(bob, 0.3)
        assert alice.get(hers).turns == 2
    finally:
        await bob.aclose()
        bob_hears.close()


async def test_a_session_shared_with_another_role_is_seen_growing_until_the_share_is_withdrawn(
    alice, bob_url
):
    from m2bridge.sessions.postgres.changes import postgres_change_feed

    hers = new_session(alice)
    add_turn(alice, hers)
    alice.share(hers, role_name(bob_url))
    bob = postgres_change_feed(bob_url)
    try:
        assert await bob.follow_now(hers) == 1
        add_turn(alice, hers)
        assert await next_change(bob) == SessionChange(hers, 2)
        append_with_raw_sql(alice.url, hers)
        assert await next_change(bob) == SessionChange(hers, 3)
        # No command withdraws a share yet; her raw SQL does, and he is told at once.
        import psycopg

        with psycopg.connect(alice.url, autocommit=True) as conn:
            conn.execute("DELETE FROM m2bridge.shares WHERE session_id = %s", (hers,))
        assert await next_change(bob) == SessionChange(hers, None)
    finally:
        await bob.aclose()


async def test_a_database_at_schema_version_1_migrates_to_2_and_its_sessions_are_then_followed(
    postgres_db, monkeypatch
):
    import psycopg

    from m2bridge.sessions.postgres import schema
    from m2bridge.sessions.postgres.store import PostgresSessionStore

    # What an m2bridge of schema version 1 made and wrote.
    with monkeypatch.context() as before:
        before.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        before.setattr(schema, "SCHEMA_VERSION", 1)
        with PostgresSessionStore(postgres_db.url, pool_size=1) as old:
            session = new_session(old)
            add_turn(old, session)
    with psycopg.connect(postgres_db.url, autocommit=True) as conn:
        assert conn.execute("SELECT max(version) FROM m2bridge.migrations").fetchone() == (1,)
        triggers = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'sessions_grew'").fetchone()
        assert triggers == (0,)

    with PostgresSessionStore(postgres_db.url, pool_size=1) as store:
        feed = feed_of(store)
        try:
            assert await feed.follow_now(session) == 1
            add_turn(store, session)
            assert await next_change(feed) == SessionChange(session, 2)
        finally:
            await feed.aclose()
    with psycopg.connect(postgres_db.url, autocommit=True) as conn:
        versions = conn.execute("SELECT version FROM m2bridge.migrations ORDER BY version").fetchall()
    assert versions == [(1,), (2,)]


async def test_connections_the_server_drops_are_replaced_and_nothing_committed_meanwhile_is_missed(
    alice, postgres_db
):
    import psycopg

    session = new_session(alice)
    feed = feed_of(alice)
    try:
        assert await feed.follow_now(session) == 0
        add_turn(alice, session)
        assert await next_change(feed) == SessionChange(session, 1)
        with psycopg.connect(postgres_db.admin_url(), autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'm2bridge-feed' AND datname = current_database()"
            ).fetchall()
            assert dropped == [(True,), (True,)]  # the listening connection and the reading one
            add_turn(alice, session)  # committed while the feed has no connection
        assert await next_change(feed) == SessionChange(session, 2)
        add_turn(alice, session)
        assert await next_change(feed) == SessionChange(session, 3)
    finally:
        await feed.aclose()


async def test_an_unreachable_database_ends_the_feed_with_a_clear_error_that_never_shows_the_password(
    postgres_db,
):
    from m2bridge.sessions.postgres.changes import postgres_change_feed

    url = postgres_db.url.replace(f":{postgres_db.server.port}/", ":1/")
    feed = postgres_change_feed(url)
    feed.follow("abcdefabcdef", 0)
    try:
        # An outage, not a refusal: what the store's other callers are told when the database is away.
        with pytest.raises(StoreUnavailable, match=r"cannot (follow|read) the session store") as raised:
            await next_change(feed)
        assert postgres_db.owner_password not in str(raised.value)
    finally:
        await feed.aclose()


class FreezableProxy:
    """A TCP relay to the database on 127.0.0.1 whose open connections can be frozen: kept open, nothing
    passing either way, as a connection dropped by a cable or a NAT looks to both ends. New ones pass."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._pumps: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        self._pumps += [
            asyncio.ensure_future(self._pump(reader, up_writer)),
            asyncio.ensure_future(self._pump(up_reader, writer)),
        ]

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    def freeze(self) -> None:
        for pump in self._pumps:
            pump.cancel()
        self._pumps.clear()

    async def close(self) -> None:
        self.freeze()
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()


async def test_a_connection_that_silently_stops_answering_is_noticed_by_the_probe_and_replaced(
    alice, postgres_db
):
    from m2bridge.sessions.postgres.changes import postgres_change_feed

    session = new_session(alice)
    proxy = FreezableProxy(postgres_db.server.port)
    await proxy.start()
    url = postgres_db.url.replace(f":{postgres_db.server.port}/", f":{proxy.port}/")
    feed = postgres_change_feed(url, check_every=0.3, probe_timeout=0.5, reconnect_within=1)
    try:
        assert await feed.follow_now(session) == 0
        await first_look_taken(feed)
        proxy.freeze()  # no error, no notification: only the probe can tell
        add_turn(alice, session)
        assert await next_change(feed) == SessionChange(session, 1)
    finally:
        await feed.aclose()
        await proxy.close()
