"""The database drops mid-turn under `m2bridge chat`: M2's answer is kept on this machine and the user is
told exactly what was not saved and where; once the database is back, the next turn writes it first and
M2 sees the whole history (the strict fake checks every request)."""

from __future__ import annotations

import json
import stat

import psycopg
import pytest

from m2bridge.sessions import spool
from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, run_cli, run_json
from tests.support.postgres import PostgresDatabase, postgres_db, postgres_server

__all__ = ["postgres_db", "postgres_server"]

# About 25 s: the dropped store is waited for (the pool's 10 s, then 10 s to give the lease back). The same
# path in-process is in tests/m2bridge/agent/test_store_failures.py, in the default suite.
pytestmark = pytest.mark.slow


def refuse_connections(db: PostgresDatabase) -> None:
    """The database goes away: no new connection is let in, and every open one is dropped."""
    db.server.admin_sql(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS false")
    db.server.admin_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db.name}'")


def test_an_answer_the_dropped_database_could_not_take_is_written_by_the_next_turn_once_it_is_back(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    env = m2_env(tmp_path, fake_minimax, M2BRIDGE_DATABASE_URL=postgres_db.url)
    (tmp_path / "app.py").write_text("def answer():\n    return 1\n")

    def drop_then_answer(info):
        refuse_connections(postgres_db)  # the prompt is stored; M2's answer will not be
        return CallTools(
            [("read_file", {"path": "app.py"}), ("read_file", {"path": "README.md"})],
            thinking="Read the code and the readme.",
        )

    fake_minimax.responder = drop_then_answer
    code, out = run_json(["chat", "-p", "What does app.py do?", "--json"], env, tmp_path)
    fake_minimax.responder = None

    assert code == 1 and out["stop_reason"] == "error", out
    session = out["session_id"]
    kept = tmp_path / "home" / "unsaved" / f"{session}.jsonl"
    error = out["error"]
    assert error["code"] == "store_unavailable"
    assert error["message"].startswith("M2's answer (with 2 tool calls, not run) was not saved (cannot reach")
    assert f"it is kept in {kept} and will be written to session {session}" in error["message"]
    assert postgres_db.owner_password not in json.dumps(out)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    (entry,) = [json.loads(line) for line in kept.read_text().splitlines()]
    assert postgres_db.owner_password not in kept.read_text()

    postgres_db.server.admin_sql(f"ALTER DATABASE {postgres_db.name} ALLOW_CONNECTIONS true")

    # Before the next turn, `sessions show` says what is kept and that the next turn writes it.
    proc = run_cli(["sessions", "show", session], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "not saved yet: M2's answer (with 2 tool calls, not run)" in " ".join(proc.stdout.split())
    code, shown = run_json(["sessions", "show", session, "--json"], env, tmp_path)
    assert code == 0 and [u["written_next_turn"] for u in shown["unsaved"]] == [True]
    assert shown["session"]["turns"] == 1  # only the prompt is in the database

    fake_minimax.script(Reply("It returns 1."))
    code, out = run_json(["chat", "-p", "Go on.", "--session", session, "--json"], env, tmp_path)
    assert code == 0 and out["error"] is None and out["text"] == "It returns 1.", out
    assert not kept.exists()

    # M2 got its own answer back exactly as it sent it, its calls answered as interrupted.
    sent = fake_minimax.requests[-1].body["messages"]
    assert sent[1] == fake_minimax.turns[0].canonical
    results = [b for b in sent[2]["content"] if b["type"] == "tool_result"]
    assert [r["content"] for r in results] == ["Not run: m2bridge was interrupted."] * 2
    # And the database holds the kept payload byte for byte.
    with psycopg.connect(postgres_db.url) as conn:
        rows = conn.execute(
            "SELECT idx, kind, payload FROM m2bridge.turns WHERE session_id = %s ORDER BY idx", (session,)
        ).fetchall()
    assert [(i, k) for i, k, _ in rows] == [
        (0, "user"),
        (1, "assistant"),
        (2, "tool_results"),
        (3, "user"),
        (4, "assistant"),
    ]
    assert bytes(rows[1][2]).decode() == entry["payloads"][0]
    assert spool.spool_file(tmp_path / "home", session) == kept
