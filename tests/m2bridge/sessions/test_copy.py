"""Copying a session between stores keeps every stored byte, whichever way it goes, even records this
version cannot read; a target that already holds the session refuses and is left as it was."""

from __future__ import annotations

import pytest

from m2bridge.errors import SessionError
from m2bridge.messages import UserTurn
from m2bridge.sessions import SessionStore, Store
from m2bridge.sessions.copy import copy_session
from m2bridge.sessions.postgres.store import PostgresSessionStore
from tests.m2bridge.sessions.backends import Raw
from tests.m2bridge.sessions.test_store import every_kind


@pytest.fixture
def stores(tmp_path, postgres_db):
    sqlite = SessionStore(tmp_path / "sessions.db")
    postgres = PostgresSessionStore(postgres_db.url, pool_size=2)
    pairs = {
        "sqlite": (sqlite, Raw("sqlite", tmp_path / "sessions.db")),
        "postgres": (postgres, Raw("postgres", postgres_db.url)),
    }
    yield pairs
    for store, raw in pairs.values():
        raw.close()
        store.close()


def odd_session(store: Store, raw: Raw) -> str:
    """A session holding every kind of turn, plus records as another writer, a damaged file or a newer
    m2bridge left them: spacing re-serialising would change, bytes that are not UTF-8, an unknown kind."""
    session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2", title="odd")
    turns = every_kind()
    head = store.append(session.id, turns, expected_head=0, context_tokens=777)
    raw.insert_turn(session.id, head, "user", '{ "text": "spaced",  "kind": "user" }', 1.5)
    raw.insert_turn(session.id, head + 1, "user", b"\xff\xfe not utf-8", 2.5)
    raw.insert_turn(session.id, head + 2, "telepathy", '{"kind": "telepathy", "vibes": 11}', 3.5)
    store.append(session.id, [UserTurn(text="after")], expected_head=head + 3)
    return session.id


@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgres"), ("postgres", "sqlite")])
def test_a_copied_session_is_stored_byte_for_byte_as_it_was(stores, source, target):
    (src, src_raw), (dst, dst_raw) = stores[source], stores[target]
    session = odd_session(src, src_raw)
    copied = copy_session(src, dst, session[:5])
    assert copied == src.get(session)
    assert dst_raw.turn_rows(session) == src_raw.turn_rows(session)
    assert dst.records(session) == src.records(session)
    there, here = dst.load(session), src.load(session)
    assert there.turns == here.turns and len(there.warnings) == 2 and there.warnings == here.warnings
    # The copy is a session like any other there.
    assert dst.append(session, [UserTurn(text="continued")], expected_head=there.head) == there.head + 1


def test_a_target_already_holding_the_session_refuses_the_copy(stores):
    (src, src_raw), (dst, _) = stores["sqlite"], stores["postgres"]
    session = odd_session(src, src_raw)
    copy_session(src, dst, session)
    dst.append(session, [UserTurn(text="only there")], expected_head=dst.get(session).turns)
    with pytest.raises(SessionError, match="already holds a session"):
        copy_session(src, dst, session)
    assert dst.load(session).turns[-1].turn == UserTurn(text="only there")
    with pytest.raises(SessionError, match="already holds a session"):
        copy_session(dst, src, session)
