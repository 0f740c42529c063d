"""The store's async face and its group commit: the event loop never waits on the disk, appends made at
once share a transaction without sharing their failures, and a write in flight survives cancellation.

On both backends (conftest.py) except where a test names the SQLite store's own machinery (its group
commit, its PRAGMAs); PostgreSQL's own counterparts are tested beside them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import pytest

from m2bridge.errors import SessionBusy, SessionMovedOn
from m2bridge.messages import Turn, UserTurn
from m2bridge.sessions import LoadedSession, SessionStore, Store
from m2bridge.sessions.async_store import AsyncSessionStore

# Every wait below is bounded; none of them measures anything.
BOUND = 10.0


sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def new_session(store: Store) -> str:
    return store.create(workspace="/work/project", protocol="anthropic", model="MiniMax-M2").id


@contextmanager
def connection_held(store: Store, location=None) -> Iterator[threading.Event]:
    """The store's database held by another thread (as if its commit took ages) until the event is
    set; released after BOUND seconds whatever happens, so a broken test cannot hang. SQLite: the
    store's writing connection; PostgreSQL (`location` its URL): the sessions table locked by another
    connection."""
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        if isinstance(store, SessionStore):
            with store._lock:
                holding.set()
                done.wait(BOUND)
            return
        import psycopg

        with psycopg.connect(str(location)) as conn, conn.transaction():
            conn.execute("LOCK TABLE m2bridge.sessions IN EXCLUSIVE MODE")
            holding.set()
            done.wait(BOUND)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(BOUND)
    try:
        yield done
    finally:
        done.set()
        holder.join(BOUND)


def wait_until_queued(store: SessionStore, count: int) -> None:
    deadline = time.monotonic() + BOUND
    while store._writes.queued < count:
        assert time.monotonic() < deadline, f"only {store._writes.queued} of {count} appends queued"
        time.sleep(0.001)


async def test_the_event_loop_keeps_running_while_an_append_waits_on_the_disk(store, location):
    astore = AsyncSessionStore(store)
    session = new_session(store)
    order: list[str] = []
    with connection_held(store, location) as release:

        async def append() -> None:
            await astore.append(session, [UserTurn(text="x")], expected_head=0)
            order.append("appended")

        with anyio.fail_after(BOUND * 2):
            async with anyio.create_task_group() as group:
                group.start_soon(append)
                # On the loop while the append waits: a store called on the loop would block here
                # until the holder gave up, and "appended" would come first.
                await anyio.sleep(0.01)
                order.append("loop ran")
                release.set()
    assert order == ["loop ran", "appended"]
    assert store.load(session).head == 1


@sqlite_only  # PostgreSQL commits each append on a connection of its own, no group commit
def test_appends_queued_together_commit_together_and_a_refused_one_fails_alone(store):
    sessions = [new_session(store) for _ in range(6)]
    store.append(sessions[0], [UserTurn(text="first")], expected_head=0)
    outcomes: dict[int, object] = {}

    def append(i: int) -> None:
        # Session 0 already holds a turn, so its append at head 0 is stale and must be refused.
        try:
            outcomes[i] = store.append(sessions[i], [UserTurn(text=f"t{i}")], expected_head=0)
        except SessionMovedOn as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=append, args=(i,)) for i in range(6)]
    with connection_held(store):
        for thread in threads:
            thread.start()
        wait_until_queued(store, 6)  # all six wait for one commit
    for thread in threads:
        thread.join(BOUND)
    assert isinstance(outcomes[0], SessionMovedOn)
    assert [outcomes[i] for i in range(1, 6)] == [1] * 5
    assert [t.turn.text for t in store.load(sessions[0]).turns] == ["first"]
    for i in range(1, 6):
        assert [t.turn.text for t in store.load(sessions[i]).turns] == [f"t{i}"]


async def test_many_agents_appending_at_once_through_the_async_face_each_land_every_turn(store):
    astore = AsyncSessionStore(store)
    sessions = [await astore.create(workspace="/w", protocol="anthropic", model="m") for _ in range(16)]

    async def agent(session: str) -> None:
        async with await astore.acquire(session, f"agent:{session}") as lease:
            head = 0
            for n in range(5):
                head = await astore.append(session, [UserTurn(text=str(n))], expected_head=head, lease=lease)

    with anyio.fail_after(BOUND * 3):
        async with anyio.create_task_group() as group:
            for info in sessions:
                group.start_soon(agent, info.id)
    for info in sessions:
        loaded = await astore.load(info.id)
        assert [t.turn.text for t in loaded.turns] == ["0", "1", "2", "3", "4"]
        assert [t.index for t in loaded.turns] == [0, 1, 2, 3, 4]


async def test_an_append_made_on_the_way_out_of_a_cancelled_task_still_lands(store):
    # As the agent stores what arrived of a cancelled answer, in a `finally` under the cancellation.
    astore = AsyncSessionStore(store)
    session = new_session(store)
    head = None
    with anyio.fail_after(BOUND), anyio.CancelScope() as scope:
        scope.cancel()
        try:
            await anyio.sleep(BOUND)
        finally:
            head = await astore.append(session, [UserTurn(text="kept")], expected_head=0)
    assert scope.cancelled_caught and head == 1
    assert [t.turn.text for t in store.load(session).turns] == ["kept"]


def test_appending_with_a_lease_that_expired_unclaimed_takes_it_back(store, raw):
    session = new_session(store)
    lease = store.acquire(session, "me", ttl=0.01)
    time.sleep(0.02)  # expired, and nobody took it over
    lease.ttl = 30
    assert store.append(session, [UserTurn(text="x")], expected_head=0, lease=lease) == 1
    [(owner, expires, depth)] = raw.execute("SELECT lease_owner, lease_expires, lease_depth FROM sessions")
    assert (owner, expires, depth) == (lease.token, lease.expires, 1)
    lease.release()


@sqlite_only
def test_appends_after_lease_changes_and_creates_are_still_fully_synchronous(store):
    session = new_session(store)  # a create commits without an fsync, like a lease change
    with store.acquire(session, "me") as lease:
        lease.refresh()
        store.append(session, [UserTurn(text="x")], expected_head=0, lease=lease)
    full = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL
    assert store._connection().execute("PRAGMA synchronous").fetchone()[0] == full


def test_every_commit_waits_for_the_server_even_where_the_role_default_says_not_to(postgres_db):
    from m2bridge.sessions.postgres.store import PostgresSessionStore

    postgres_db.server.admin_sql(f"ALTER ROLE {postgres_db.owner} SET synchronous_commit = off")
    with PostgresSessionStore(postgres_db.url, pool_size=2) as store:
        session = new_session(store)
        store.append(session, [UserTurn(text="x")], expected_head=0)
        with store._pool.connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


async def test_a_turn_starts_with_the_lease_the_session_and_its_prompt_stored_in_one_trip(store):
    astore = AsyncSessionStore(store)
    session = new_session(store)
    store.append(session, [UserTurn(text="earlier")], expected_head=0)
    seen: list[int] = []

    def opening(loaded: LoadedSession) -> list[Turn]:
        seen.append(loaded.head)
        return [UserTurn(text="now")]

    lease, loaded, head = await astore.begin_turn(session, "me", opening)
    async with lease:
        assert [t.turn.text for t in loaded.turns] == ["earlier"] and loaded.head == 1 and seen == [1]
        assert head == 2
        assert [t.turn.text for t in store.load(session).turns] == ["earlier", "now"]
        with pytest.raises(SessionBusy):
            store.acquire(session, "someone else")
    store.acquire(session, "someone else").release()  # given back on the way out


async def test_a_turn_that_cannot_store_its_prompt_gives_the_lease_back(store):
    astore = AsyncSessionStore(store)
    session = new_session(store)

    def opening(loaded: LoadedSession) -> list[Turn]:
        raise ValueError("the prompt could not be made")

    with pytest.raises(ValueError, match="could not be made"):
        await astore.begin_turn(session, "me", opening)
    assert store.load(session).turns == []
    store.acquire(session, "someone else").release()  # not left leased
