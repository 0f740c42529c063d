"""Row-level security on the PostgreSQL store: each role reaches only its own sessions, attempted with raw
SQL as the other role (not only through m2bridge), and a session shared read-only can be read and forked."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import pytest

from m2bridge.errors import SessionError, SessionNotFound
from m2bridge.messages import UserTurn
from m2bridge.sessions.postgres.store import PostgresSessionStore
from tests.support.postgres import PostgresDatabase


def sessions_of(url: str) -> PostgresSessionStore:
    return PostgresSessionStore(url, pool_size=2)


@pytest.fixture
def alice(postgres_db: PostgresDatabase):
    # Alice is the database's owner: she runs the migrations, so she owns the tables.
    with sessions_of(postgres_db.url) as store:
        yield store


@pytest.fixture
def bob_url(postgres_db: PostgresDatabase, alice) -> str:
    url, _ = postgres_db.role("bob")
    return url


def alice_session(alice: PostgresSessionStore) -> str:
    session = alice.create(workspace="/alice", protocol="anthropic", model="MiniMax-M2", title="secret plan")
    alice.append(session.id, [UserTurn(text="the secret"), UserTurn(text="more")], expected_head=0)
    return session.id


def test_another_role_sees_and_changes_nothing_of_a_session_with_raw_sql(alice, bob_url):
    session = alice_session(alice)
    with psycopg.connect(bob_url, autocommit=True) as bob:
        assert bob.execute("SELECT * FROM m2bridge.sessions").fetchall() == []
        assert bob.execute("SELECT * FROM m2bridge.turns").fetchall() == []
        assert bob.execute("SELECT * FROM m2bridge.shares").fetchall() == []
        assert bob.execute("UPDATE m2bridge.sessions SET title = 'pwned'").rowcount == 0
        assert bob.execute("UPDATE m2bridge.sessions SET owner = current_user").rowcount == 0
        assert bob.execute("DELETE FROM m2bridge.sessions").rowcount == 0
        assert bob.execute("DELETE FROM m2bridge.turns").rowcount == 0
        # Writing into her session: a turn naming her as owner, or himself, is refused either way.
        for owner in ("current_user", "(SELECT owner FROM m2bridge.sessions LIMIT 1)"):
            with pytest.raises(psycopg.Error):
                bob.execute(
                    "INSERT INTO m2bridge.turns (session_id, owner, idx, kind, payload, created)"
                    f" VALUES (%s, {owner}, 2, 'user', '\\x7b7d', 0)",
                    (session,),
                )
        # Nor can he share her session with himself.
        with pytest.raises(psycopg.Error):
            bob.execute(
                "INSERT INTO m2bridge.shares (session_id, grantee, created) VALUES (%s, current_user, 0)",
                (session,),
            )
        # Nor claim to be her on a row of his own.
        with pytest.raises(psycopg.Error, match="row-level security"):
            bob.execute(
                "INSERT INTO m2bridge.sessions (id, owner, workspace, protocol, model, created, updated)"
                " VALUES ('fake00000000', %s, '/', 'anthropic', 'm', 0, 0)",
                (alice.url.split("://")[1].split(":")[0],),
            )
    loaded = alice.load(session)
    assert loaded.info.title == "secret plan"
    assert [t.turn for t in loaded.turns] == [UserTurn(text="the secret"), UserTurn(text="more")]


def test_another_role_using_m2bridge_finds_no_session_of_hers(alice, bob_url):
    session = alice_session(alice)
    with sessions_of(bob_url) as bob:
        assert bob.list() == []
        for call in (
            lambda: bob.get(session),
            lambda: bob.load(session),
            lambda: bob.resolve(session[:6]),
            lambda: bob.fork(session),
            lambda: bob.append(session, [UserTurn(text="x")], expected_head=2),
            lambda: bob.acquire(session, "bob"),
            lambda: bob.remove(session, force=True),
            lambda: bob.share(session, "postgres"),
        ):
            with pytest.raises(SessionNotFound):
                call()
    assert alice.get(session).turns == 2


def test_row_level_security_binds_the_tables_owner_too(alice, bob_url):
    # Alice ran the migrations and owns the tables; forced row-level security still hides Bob's rows.
    with sessions_of(bob_url) as bob:
        his = bob.create(workspace="/bob", protocol="anthropic", model="m")
        bob.append(his.id, [UserTurn(text="his")], expected_head=0)
    assert alice.list() == []
    with psycopg.connect(alice.url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM m2bridge.turns").fetchone() == (0,)
        assert conn.execute("DELETE FROM m2bridge.sessions").rowcount == 0
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'm2bridge' AND tablename = 'sessions'"
        ).fetchone()
        assert owner == conn.execute("SELECT current_user::text").fetchone()


def test_a_shared_session_is_read_only_for_the_grantee_who_can_fork_it_as_their_own(
    alice, bob_url, postgres_db
):
    session = alice_session(alice)
    bob_role = bob_url.split("://")[1].split(":")[0]
    alice.share(session, bob_role)
    with sessions_of(bob_url) as bob:
        assert bob.load(session).info.title == "secret plan"
        assert [t.turn.text for t in bob.load(session).turns] == ["the secret", "more"]
        assert bob.list() == []  # his list holds his own sessions; a shared one is reached by its id
        with pytest.raises(SessionError, match="shared with you read-only"):
            bob.append(session, [UserTurn(text="edit")], expected_head=2)
        with pytest.raises(SessionError, match="shared with you read-only"):
            bob.acquire(session, "bob")
        with pytest.raises(SessionError, match="shared with you read-only"):
            bob.set_title(session, "mine now")
        with pytest.raises(SessionError, match="shared with you read-only"):
            bob.remove(session, force=True)

        fork = bob.fork(session)
        assert [s.id for s in bob.list()] == [fork.id]
        assert bob.append(fork.id, [UserTurn(text="bob continues")], expected_head=2) == 3
        # Byte for byte what she stored.
        with psycopg.connect(bob_url) as conn:
            rows = conn.execute(
                "SELECT session_id, idx, payload FROM m2bridge.turns WHERE idx < 2 ORDER BY session_id, idx"
            ).fetchall()
        by_session = {sid: [] for sid, _, _ in rows}
        for sid, _, payload in rows:
            by_session[sid].append(bytes(payload))
        assert by_session[fork.id] == by_session[session]

        # Raw SQL as the grantee: reading works, changing does not.
        with psycopg.connect(bob_url, autocommit=True) as conn:
            assert conn.execute(
                "SELECT count(*) FROM m2bridge.turns WHERE session_id = %s", (session,)
            ).fetchone() == (2,)
            assert (
                conn.execute("UPDATE m2bridge.sessions SET title = 'x' WHERE id = %s", (session,)).rowcount
                == 0
            )
            assert conn.execute("DELETE FROM m2bridge.sessions WHERE id = %s", (session,)).rowcount == 0
            assert conn.execute("DELETE FROM m2bridge.shares").rowcount == 0
            with pytest.raises(psycopg.Error):
                conn.execute(
                    "INSERT INTO m2bridge.turns (session_id, idx, kind, payload, created)"
                    " VALUES (%s, 2, 'user', '\\x7b7d', 0)",
                    (session,),
                )
    # Her session is as she left it, and his fork is invisible to her.
    assert alice.get(session).turns == 2 and alice.get(session).title == "secret plan"
    assert [s.id for s in alice.list()] == [session]
    with pytest.raises(SessionNotFound):
        alice.get(fork.id)


def test_only_an_existing_role_can_be_given_a_session(alice):
    session = alice_session(alice)
    with pytest.raises(SessionError, match="no database role 'nobody_here'"):
        alice.share(session, "nobody_here")


def test_removing_a_session_takes_its_turns_and_shares_with_it(alice, bob_url):
    session = alice_session(alice)
    alice.share(session, bob_url.split("://")[1].split(":")[0])
    alice.remove(session)
    with psycopg.connect(alice.url) as conn:
        assert conn.execute("SELECT count(*) FROM m2bridge.turns").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM m2bridge.shares").fetchone() == (0,)
    with sessions_of(bob_url) as bob, pytest.raises(SessionNotFound):
        bob.load(session)


def test_an_older_schema_another_role_owns_is_refused_saying_who_must_upgrade_it(postgres_db, monkeypatch):
    from m2bridge.sessions.postgres import schema
    from m2bridge.sessions.postgres.store import PostgresSessionStore

    with monkeypatch.context() as before:  # what an m2bridge of schema version 1 made
        before.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        before.setattr(schema, "SCHEMA_VERSION", 1)
        PostgresSessionStore(postgres_db.url, pool_size=1).close()
    bob_url, _ = postgres_db.role("bob")
    password = urlsplit(bob_url).password
    with pytest.raises(schema.SchemaNeedsOwner) as refused:
        PostgresSessionStore(bob_url, pool_size=1).close()
    message = str(refused.value)
    assert "version 1" in message and "owns the m2bridge schema" in message
    assert password and password not in message
    PostgresSessionStore(postgres_db.url, pool_size=1).close()  # the owner opens it once: upgraded
    with PostgresSessionStore(bob_url, pool_size=1) as store:
        assert store.list() == []
