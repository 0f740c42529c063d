"""A store that fails mid-turn loses nothing silently: what M2 returned is kept on this machine, the turn
says exactly what was not saved and where it is, and the next turn writes it first, whole, where it
belongs. Real stores: a PostgreSQL server that stops taking connections, an SQLite file another
process holds locked."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Mapping
from typing import Any

import anyio
import pytest

from m2bridge.agent import Agent, Notice
from m2bridge.client.model import ModelClient
from m2bridge.conversation import ConversationService
from m2bridge.messages import ToolResultsTurn, UserTurn
from m2bridge.sessions import SessionStore, spool
from m2bridge.sessions import store as sqlite_store
from m2bridge.sessions.async_store import AsyncSessionStore
from m2bridge.sessions.postgres.store import PostgresSessionStore
from m2bridge.tools import ToolOutcome, ToolSpec
from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, settings_for
from tests.support.postgres import PostgresDatabase, postgres_db, postgres_server

__all__ = ["postgres_db", "postgres_server"]


class Hook:
    """A tool that does something to the world (here: to the store) while the turn runs."""

    def __init__(self, action) -> None:
        self.action = action
        self.calls = 0

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name="look",
            description="Look at something.",
            input_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        )

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        self.calls += 1
        await anyio.to_thread.run_sync(self.action)
        return ToolOutcome(f"looked at {arguments['n']}: ✓ «exact»")


def once(action):
    """`action` for calls running at the same time: the first does it, the others find it done."""
    lock, done = threading.Lock(), []

    def run() -> None:
        with lock:
            if not done:
                action()
                done.append(True)

    return run


def build_agent(settings, store, tools=(), events=None):
    client = ModelClient(settings)
    agent = Agent(
        settings=settings,
        client=client,
        store=store,
        system="You are tested.",
        tools=tools,
        on_event=(events.append if events is not None else None),
    )
    return agent, client


async def turn(settings, store, session, prompt, tools=(), events=None):
    agent, client = build_agent(settings, store, tools, events)
    async with client:
        return await agent.run_turn(session, prompt)


# -- PostgreSQL ---------------------------------------------------------------------------------------


def refuse_connections(db: PostgresDatabase) -> None:
    """The database goes away: no new connection is let in, and every open one is dropped."""
    db.server.admin_sql(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS false")
    db.server.admin_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db.name}'")


def allow_connections(db: PostgresDatabase) -> None:
    db.server.admin_sql(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS true")


def wait_until_reachable(store: PostgresSessionStore, session: str) -> None:
    # The pool reconnects by itself, with a backoff: allow it a bounded while.
    deadline = time.monotonic() + 30
    while True:
        try:
            store.get(session)
            return
        except Exception:
            assert time.monotonic() < deadline, "the store never reconnected"
            time.sleep(0.2)


async def test_tool_results_a_dropped_database_could_not_take_are_kept_and_written_by_the_next_turn(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    pg = PostgresSessionStore(postgres_db.url, pool_size=2, timeout=2)
    store = AsyncSessionStore(pg)
    session = pg.create(workspace=str(tmp_path), protocol=settings.api, model=settings.model).id
    fake_minimax.script(CallTools([("look", {"n": 1}), ("look", {"n": 2})], thinking="Look at both."))
    hook = Hook(once(lambda: refuse_connections(postgres_db)))

    result = await turn(settings, store, session, "Look at 1 and 2.", [hook])

    assert hook.calls == 2 and result.stop_reason == "error"
    assert result.error is not None and result.error.code == "store_unavailable"
    kept = tmp_path / "home" / "unsaved" / f"{session}.jsonl"
    message = result.error.message
    assert message.startswith("2 tool results were not saved (cannot reach the session store")
    assert f"they are kept in {kept} and will be written to session {session}" in message
    assert postgres_db.owner_password not in message
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert postgres_db.owner_password not in kept.read_text()
    (entry,) = spool.pending(settings.home, pg.path, session).entries
    assert entry.after_head == 2  # after the prompt and M2's answer, which were stored
    (results,) = entry.turns() or []
    assert isinstance(results, ToolResultsTurn)
    assert [r.content for r in results.results] == ["looked at 1: ✓ «exact»", "looked at 2: ✓ «exact»"]

    # The database is back, in the same process: the next turn writes the kept results first.
    allow_connections(postgres_db)
    wait_until_reachable(pg, session)
    fake_minimax.script(Reply("Both looked fine."))
    events: list[Any] = []
    again = await turn(settings, store, session, "And now?", [hook], events)
    assert again.error is None and again.text == "Both looked fine."
    assert any(isinstance(e, Notice) and "2 tool results from an earlier turn" in e.text for e in events)
    assert not kept.exists()
    stored = pg.records(session).turns
    assert [kind for _, kind, _, _ in stored] == ["user", "assistant", "tool_results", "user", "assistant"]
    assert stored[2][2].decode() == entry.payloads[0]  # byte for byte what was kept
    sent = fake_minimax.requests[-1].body["messages"]
    assert [b["content"] for b in sent[2]["content"] if b["type"] == "tool_result"] == [
        "looked at 1: ✓ «exact»",
        "looked at 2: ✓ «exact»",
    ]
    await store.aclose()


# -- SQLite -------------------------------------------------------------------------------------------


@pytest.fixture
def quick_busy_timeout(monkeypatch):
    # A write waits this long for another process's lock before it gives up (10 s in real use).
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT", 0.3)


class Locker:
    """Another process's connection holding the SQLite file's write lock."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def lock(self) -> None:
        self.conn.execute("BEGIN EXCLUSIVE")

    def unlock(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def sqlite_session(tmp_path, fake_minimax):
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    store = SessionStore(settings.sessions_db)
    session = store.create(workspace=str(tmp_path), protocol=settings.api, model=settings.model).id
    return settings, store, session


async def test_an_answer_a_locked_sqlite_store_could_not_take_is_written_next_turn_with_its_calls_answered(
    tmp_path, fake_minimax, quick_busy_timeout
):
    settings, store, session = sqlite_session(tmp_path, fake_minimax)
    locker = Locker(settings.sessions_db)

    def answer_once_locked(info):
        locker.lock()  # the prompt is stored; M2's answer will not be
        return CallTools([("look", {"n": 1}), ("look", {"n": 2})], thinking="Two looks.")

    fake_minimax.responder = answer_once_locked
    result = await turn(settings, store, session, "Look twice.", [Hook(lambda: None)])
    fake_minimax.responder = None

    assert result.error is not None and result.error.code == "store_unavailable"
    assert result.error.message.startswith(
        "M2's answer (with 2 tool calls, not run) was not saved (the session store "
    )
    assert "database is locked" in result.error.message and "it is kept in" in result.error.message
    assert store.load(session).head == 1  # only the prompt

    locker.unlock()
    fake_minimax.script(Reply("Never mind the looks."))
    again = await turn(settings, store, session, "Go on.", [Hook(lambda: None)])
    assert again.error is None, again.error
    loaded = store.load(session)
    kinds = [s.turn.kind for s in loaded.turns]
    assert kinds == ["user", "assistant", "tool_results", "user", "assistant"]
    # The calls that never ran are answered as interrupted, in the same transaction as the answer.
    repaired = loaded.turns[2].turn
    assert isinstance(repaired, ToolResultsTurn)
    assert {r.content for r in repaired.results} == {"Not run: m2bridge was interrupted."}
    # M2 got its own answer back exactly as it sent it.
    assert fake_minimax.requests[-1].body["messages"][1] == fake_minimax.turns[0].canonical
    assert not spool.spool_file(settings.home, session).exists()


async def test_kept_turns_are_not_written_after_a_session_that_moved_on_and_are_reported(
    tmp_path, fake_minimax, quick_busy_timeout
):
    settings, store, session = sqlite_session(tmp_path, fake_minimax)
    locker = Locker(settings.sessions_db)
    fake_minimax.script(CallTools([("look", {"n": 1})]))
    result = await turn(settings, store, session, "Look.", [Hook(locker.lock)])
    assert result.error is not None and result.error.message.startswith("1 tool result was not saved")
    locker.unlock()

    # Meanwhile another machine (another home, so no spool) went on with the session.
    elsewhere = settings_for(m2_env(tmp_path / "elsewhere", fake_minimax))
    assert elsewhere.home != settings.home
    fake_minimax.script(Reply("Carrying on elsewhere."))
    assert (await turn(elsewhere, store, session, "Carry on.")).error is None
    head = store.load(session).head

    events: list[Any] = []
    fake_minimax.script(Reply("Back here."))
    back = await turn(settings, store, session, "Back.", [], events)
    assert back.error is None
    notes = [e.text for e in events if isinstance(e, Notice)]
    assert any("1 turn(s) of an earlier turn" in n and "the session moved on meanwhile" in n for n in notes)
    assert store.load(session).head == head + 2  # only this turn's prompt and answer
    assert len(spool.pending(settings.home, str(store.path), session).entries) == 1


async def test_a_turn_that_cannot_start_says_nothing_was_sent_and_names_what_is_still_kept(
    tmp_path, fake_minimax, quick_busy_timeout
):
    settings, store, session = sqlite_session(tmp_path, fake_minimax)
    spool.keep(settings.home, str(store.path), session, 0, [UserTurn(text="kept")], "earlier failure")
    locker = Locker(settings.sessions_db)
    locker.lock()
    try:
        result = await turn(settings, store, session, "Hello?")
    finally:
        locker.unlock()
    assert result.error is not None and result.error.code == "store_unavailable"
    assert "the prompt was not sent to M2" in result.error.message
    assert (
        f"1 turn(s) of an earlier turn are still kept in {settings.home / 'unsaved'}" in result.error.message
    )
    assert fake_minimax.requests == []


async def test_a_new_sessions_first_answer_kept_on_this_machine_keeps_the_session(
    tmp_path, fake_minimax, monkeypatch
):
    # Without the answer the session holds only the prompt, which a failed first turn takes back; the
    # store is free again by then (the lock goes as soon as the answer is kept), so only knowing that
    # the answer was kept stops it.
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT", 1.0)
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    SessionStore(settings.sessions_db).close()
    locker = Locker(settings.sessions_db)
    spooled = tmp_path / "home" / "unsaved"

    def unlock_once_kept() -> None:
        deadline = time.monotonic() + 20
        while not (spooled.exists() and any(spooled.iterdir())):
            assert time.monotonic() < deadline, "the answer was never kept"
            time.sleep(0.001)
        locker.unlock()

    def answer_once_locked(info):
        locker.lock()
        threading.Thread(target=unlock_once_kept, daemon=True).start()
        return Reply("An answer worth keeping.")

    fake_minimax.responder = answer_once_locked
    async with ConversationService(settings, tmp_path, owner="test") as service:
        chat = await service.open()
        result = await chat.run("first question")
        fake_minimax.responder = None
        assert result.error is not None and result.error.code == "store_unavailable"
        assert result.error.message.startswith("M2's answer was not saved")
        assert chat.session_id is not None and result.session_id == chat.session_id
        with SessionStore(settings.sessions_db) as store:
            loaded = store.load(chat.session_id)
            # The store was back before the turn ended: its lease was given back, yet the session stays.
            lease = store.acquire(chat.session_id, "someone else")
            lease.release()
        assert [s.turn.kind for s in loaded.turns] == ["user"]

        fake_minimax.script(Reply("And a second one."))
        again = await chat.run("second question")
        assert again.error is None and again.text == "And a second one."
    with SessionStore(settings.sessions_db) as store:
        kinds = [s.turn.kind for s in store.load(result.session_id).turns]
    assert kinds == ["user", "assistant", "user", "assistant"]
