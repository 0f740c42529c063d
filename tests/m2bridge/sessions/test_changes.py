"""The store's change feed: a followed session that grows is reported with its new turn count, whichever
connection or process wrote it; what nobody follows, and what the reader already shows, is not; a
removed session is reported gone; the feed reads the database only when its change counter moved."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import pytest

from m2bridge.messages import UserTurn
from m2bridge.sessions import SessionStore
from m2bridge.sessions.changes import ChangeFeed, SessionChange, SqliteChangeSource, sqlite_change_feed

# Every wait below is bounded; none of them measures anything.
BOUND = 10.0
WRITER = Path(__file__).with_name("store_writer.py")


@pytest.fixture
def store(tmp_path: Path):
    s = SessionStore(tmp_path / "sessions.db")
    yield s
    s.close()


def new_session(store: SessionStore) -> str:
    return store.create(workspace="/work/project", protocol="anthropic", model="MiniMax-M2").id


def add_turn(store: SessionStore, session_id: str) -> int:
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
    feed = sqlite_change_feed(store.path, interval=0.02)
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


async def test_turns_appended_by_another_process_are_reported(store, tmp_path):
    session = new_session(store)
    feed = sqlite_change_feed(store.path, interval=0.02)
    feed.follow(session, 0)
    try:
        await first_look_taken(feed)
        subprocess.run(
            [sys.executable, str(WRITER), str(store.path), session, "other", "1", "--batch", "2"],
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
    feed = sqlite_change_feed(store.path, interval=0.02)
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
    feed = sqlite_change_feed(store.path, interval=0.02)
    feed.follow(session, 0)
    try:
        assert await next_change(feed) == SessionChange(session, 1)
    finally:
        await feed.aclose()


async def test_turns_before_following_from_now_are_not_reported_but_later_ones_are(store):
    session = new_session(store)
    feed = sqlite_change_feed(store.path, interval=0.02)
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
    feed = sqlite_change_feed(store.path, interval=0.02)
    feed.follow(session, 0)
    try:
        store.remove(session)
        assert await next_change(feed) == SessionChange(session, None)
        assert feed.followed == {}
    finally:
        await feed.aclose()


class CountingSource:
    """The real SQLite source, counting how often the feed reads the sessions table."""

    def __init__(self, path: Path) -> None:
        self.real = SqliteChangeSource(path, interval=0.02)
        self.reads = 0

    async def changed(self) -> None:
        await self.real.changed()

    async def heads(self, session_ids: Collection[str]) -> dict[str, int]:
        self.reads += 1
        return await self.real.heads(session_ids)

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_the_sessions_table_is_read_only_when_the_change_counter_moved(store):
    session = new_session(store)
    source = CountingSource(store.path)
    feed = ChangeFeed(source)
    feed.follow(session, 0)
    try:
        await no_change_within(feed, 0.5)  # some 25 looks at the counter while nothing happens
        idle_reads = source.reads
        assert idle_reads <= 2  # the first look (and the follow's wake-up), then nothing
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 1)
        assert source.reads <= idle_reads + 2
    finally:
        await feed.aclose()


async def test_the_feed_never_creates_a_store_file(tmp_path):
    feed = sqlite_change_feed(tmp_path / "missing.db")
    feed.follow("abc", 0)
    with pytest.raises(Exception, match="cannot follow the session store"):
        await next_change(feed)
    await feed.aclose()
    assert not (tmp_path / "missing.db").exists()


async def test_a_session_followed_from_now_is_reported_only_when_it_grows_later(store):
    session = new_session(store)
    add_turn(store, session)
    feed = sqlite_change_feed(store.path, interval=0.02)
    try:
        assert await feed.follow_now(session) == 1
        await no_change_within(feed, 0.2)
        add_turn(store, session)
        assert await next_change(feed) == SessionChange(session, 2)
        assert await feed.follow_now("gone12345678") is None and set(feed.followed) == {session}
    finally:
        await feed.aclose()
