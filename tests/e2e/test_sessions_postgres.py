"""The PostgreSQL store from the command line: two machines (two M2BRIDGE_HOMEs) continue one session,
sessions move between SQLite and PostgreSQL byte for byte, and a session is shared with another role."""

from __future__ import annotations

import json

from m2bridge.messages import TurnAdapter
from m2bridge.sessions import open_store_at
from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_cli, run_json
from tests.support.postgres import PostgresDatabase, postgres_db, postgres_server

__all__ = ["postgres_db", "postgres_server"]


def machine(tmp_path, fake, name: str, url: str | None) -> dict[str, str]:
    """The environment of one 'machine': its own home and config, the shared database."""
    root = tmp_path / name
    root.mkdir()
    env = m2_env(root, fake)
    if url is not None:
        env["M2BRIDGE_DATABASE_URL"] = url
    return env


def export(env: dict[str, str], session: str, cwd) -> dict:
    proc = run_cli(["sessions", "export", session, "--json"], env, cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_session_started_on_one_machine_continues_on_another_through_the_database(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    laptop = machine(tmp_path, fake_minimax, "laptop", postgres_db.url)
    devbox = machine(tmp_path, fake_minimax, "devbox", postgres_db.url)
    fake_minimax.script(Reply("First answer."), Reply("Second answer."))
    code, first = run_json(["chat", "-p", "first question", "--json"], laptop, tmp_path)
    assert code == 0 and first["error"] is None, first
    code, second = run_json(
        ["chat", "-p", "second question", "--session", first["session_id"], "--json"], devbox, tmp_path
    )
    assert code == 0 and second["session_id"] == first["session_id"] and second["text"] == "Second answer."
    # What M2 sent the first time went back to it unchanged, thinking and signature included.
    assert fake_minimax.requests[1].body["messages"][1] == fake_minimax.turns[0].canonical
    # Neither machine kept a local SQLite store: the conversation lives in the database.
    assert not (tmp_path / "laptop" / "home" / "sessions.db").exists()
    assert not (tmp_path / "devbox" / "home" / "sessions.db").exists()
    assert export(laptop, first["session_id"], tmp_path)["session"]["turns"] == 4


def test_a_session_moves_from_sqlite_to_postgresql_and_back_byte_for_byte(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    local = machine(tmp_path, fake_minimax, "local", None)
    team = machine(tmp_path, fake_minimax, "team", postgres_db.url)
    fake_minimax.script(Reply("An answer worth keeping."))
    code, out = run_json(["chat", "-p", "a question", "--json"], local, tmp_path)
    assert code == 0, out
    session = out["session_id"]
    sqlite_file = tmp_path / "local" / "home" / "sessions.db"
    before = export(local, session, tmp_path)

    proc = run_cli(["sessions", "copy", session[:6], "--to", postgres_db.url], local, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert postgres_db.owner_password not in proc.stdout + proc.stderr
    assert export(team, session, tmp_path) == before

    elsewhere = tmp_path / "elsewhere.db"
    proc = run_cli(["sessions", "copy", session, "--to", str(elsewhere)], team, tmp_path)
    assert proc.returncode == 0, proc.stderr
    back = machine(tmp_path, fake_minimax, "back", None)
    proc = run_cli(["sessions", "copy", session, "--from", str(elsewhere)], back, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert export(back, session, tmp_path) == before

    # Byte for byte, not only value for value: every stored record the same in all four stores.
    stores = [open_store_at(sqlite_file), open_store_at(postgres_db.url), open_store_at(elsewhere)]
    stores.append(open_store_at(tmp_path / "back" / "home" / "sessions.db"))
    try:
        records = [store.records(session) for store in stores]
    finally:
        for store in stores:
            store.close()
    assert all(r == records[0] for r in records[1:])
    assert records[0].turns and all(
        p == TurnAdapter.dump_json(TurnAdapter.validate_json(p))
        for *_, p, _ in [(i, k, p, c) for i, k, p, c in records[0].turns]
    )

    # Copying onto a store that already holds the session is refused, and changes nothing.
    proc = run_cli(["sessions", "copy", session, "--to", postgres_db.url], local, tmp_path)
    assert proc.returncode != 0 and "already holds a session" in proc.stderr
    assert export(team, session, tmp_path) == before


def test_a_session_is_shared_with_another_role_who_reads_and_forks_it(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    bob_url, bob_role = postgres_db.role("bob")
    alice = machine(tmp_path, fake_minimax, "alice", postgres_db.url)
    bob = machine(tmp_path, fake_minimax, "bob", bob_url)
    fake_minimax.script(Reply("Alice's answer."))
    code, out = run_json(["chat", "-p", "alice asks", "--json"], alice, tmp_path)
    assert code == 0, out
    session = out["session_id"]

    assert run_cli(["sessions", "show", session], bob, tmp_path).returncode != 0  # not yet shared
    proc = run_cli(["sessions", "share", session, bob_role], alice, tmp_path)
    assert proc.returncode == 0 and f"shared {session} read-only with {bob_role}" in proc.stdout

    assert export(bob, session, tmp_path) == export(alice, session, tmp_path)
    proc = run_cli(["sessions", "fork", session], bob, tmp_path)
    assert proc.returncode == 0, proc.stderr
    fork = proc.stdout.strip()
    assert export(bob, fork, tmp_path)["turns"] == export(alice, session, tmp_path)["turns"]
    listed = json.loads(run_cli(["sessions", "list", "--json"], alice, tmp_path).stdout)
    assert [s["id"] for s in listed] == [session]  # Bob's fork is his alone


def test_sharing_needs_the_postgresql_store(tmp_path, fake_minimax):
    env = machine(tmp_path, fake_minimax, "local", None)
    fake_minimax.script(Reply("hi"))
    _, out = run_json(["chat", "-p", "q", "--json"], env, tmp_path)
    proc = run_cli(["sessions", "share", out["session_id"], "bob"], env, tmp_path)
    assert proc.returncode == 1 and "needs the PostgreSQL store" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_doctor_names_the_database_store_without_its_password(tmp_path, fake_minimax, postgres_db):
    env = machine(tmp_path, fake_minimax, "local", postgres_db.url)
    fake_minimax.script(Reply("Hi"), Reply("Hi"))  # doctor's key check, once per run
    proc = run_cli(["doctor"], env, tmp_path)
    line = next(line for line in proc.stdout.splitlines() if "session store" in line)
    assert "PostgreSQL" in line and "reachable" in line and "***" in line
    assert postgres_db.owner_password not in proc.stdout + proc.stderr
    env["M2BRIDGE_DATABASE_URL"] = postgres_db.url.replace(f":{postgres_db.server.port}/", ":1/")
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    line = next(line for line in proc.stdout.splitlines() if "session store" in line)
    assert "cannot reach" in line and postgres_db.owner_password not in proc.stdout + proc.stderr


def test_doctor_fails_a_role_that_row_level_security_does_not_bind(tmp_path, fake_minimax, postgres_db):
    env = machine(tmp_path, fake_minimax, "local", postgres_db.server.url(database=postgres_db.name))
    fake_minimax.script(Reply("Hi"))
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    line = next(line for line in proc.stdout.splitlines() if "session store" in line)
    assert "superuser or has BYPASSRLS" in line and postgres_db.server.password not in proc.stdout


def test_recover_is_for_the_sqlite_store_only(tmp_path, fake_minimax, postgres_db):
    env = machine(tmp_path, fake_minimax, "local", postgres_db.url)
    proc = run_cli(["sessions", "recover"], env, tmp_path)
    assert proc.returncode == 1 and "salvages a damaged SQLite store" in proc.stderr
    assert not (tmp_path / "local" / "home").exists()
