"""`m2bridge sessions watch ID` as a real process: it prints the session as `sessions show` does, then each
turn another process adds (`chat --session ID -p` against the strict fake) as it lands; Ctrl-C ends it
with 0, and the session's removal with 1 and one line saying so. On SQLite and on PostgreSQL; on
PostgreSQL also as another role, following a session shared with it until the share is withdrawn."""

from __future__ import annotations

import io
import sys

import pexpect
import psycopg
import pytest

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_cli, run_json
from tests.support.postgres import PostgresDatabase, postgres_db, postgres_server

__all__ = ["postgres_db", "postgres_server"]

# Each expect is bounded; nothing here measures time.
BOUND = 20


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """What points m2bridge at the test's store: nothing (SQLite in M2BRIDGE_HOME), or a fresh database."""
    if request.param == "sqlite":
        return {}
    return {"M2BRIDGE_DATABASE_URL": request.getfixturevalue("postgres_db").url}


def spawn_watch(env, cwd, session_id, *extra):
    return pexpect.spawn(
        sys.executable,
        ["-m", "m2bridge", "sessions", "watch", session_id, *extra],
        env=env,
        cwd=str(cwd),
        encoding="utf-8",
        timeout=BOUND,
        dimensions=(40, 200),
    )


def words(text: str) -> str:
    return " ".join(text.split())


def test_watch_prints_the_session_then_each_turn_another_process_adds_and_ctrl_c_ends_it_with_0(
    tmp_path, fake_minimax, store_env
):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb", **store_env)
    fake_minimax.script(
        Reply("First answer.", thinking="first thoughts"), Reply("Second answer.", thinking="more")
    )
    code, first = run_json(["chat", "-p", "first question", "--json"], env, tmp_path)
    assert code == 0
    session_id = first["session_id"]
    shown = run_cli(["sessions", "show", session_id], env, tmp_path)

    watch = spawn_watch(env, tmp_path, session_id)
    watch.logfile_read = seen = io.StringIO()
    watch.expect(f"session {session_id}")
    watch.expect("First answer.")
    code, second = run_json(
        ["chat", "-p", "second question", "--session", session_id, "--json"], env, tmp_path
    )
    assert code == 0 and second["session_id"] == session_id
    watch.expect("you: second question")
    watch.expect("M2 thinking: more")
    watch.expect("M2: Second answer.")
    watch.sendintr()
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 0
    printed = words(seen.getvalue())
    # What watch printed first is what `sessions show` prints (wrapped at the terminal's width here);
    # each turn once, the header once.
    assert printed.startswith(words(shown.stdout))
    assert printed.count(f"session {session_id}") == 1 and printed.count("First answer.") == 1
    assert printed.count("Second answer.") == 1 and "Traceback" not in printed


def test_watch_ends_with_1_and_says_so_when_the_session_is_removed(tmp_path, fake_minimax, store_env):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb", **store_env)
    fake_minimax.script(Reply("Only answer."))
    _, first = run_json(["chat", "-p", "a question", "--json"], env, tmp_path)
    session_id = first["session_id"]
    watch = spawn_watch(env, tmp_path, session_id)
    watch.expect("Only answer.")
    assert run_cli(["sessions", "rm", session_id], env, tmp_path).returncode == 0
    watch.expect(f"m2bridge: session {session_id} was removed")
    if store_env:
        watch.expect("or is no longer shared with you")
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 1


def test_watch_json_prints_one_object_a_line(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Reply("One."), Reply("Two."))
    _, first = run_json(["chat", "-p", "q1", "--json"], env, tmp_path)
    session_id = first["session_id"]
    watch = spawn_watch(env, tmp_path, session_id, "--json")
    watch.expect('"kind": "assistant"')
    run_json(["chat", "-p", "q2", "--session", session_id, "--json"], env, tmp_path)
    watch.expect('"text": "q2"')
    watch.expect('"text": "Two."')
    watch.sendintr()
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 0


def test_another_role_watches_a_session_shared_with_it_until_the_share_is_withdrawn(
    tmp_path, fake_minimax, postgres_db: PostgresDatabase
):
    owner_home, reader_home = tmp_path / "owner", tmp_path / "reader"
    owner_home.mkdir()
    reader_home.mkdir()
    owner = m2_env(owner_home, fake_minimax, TERM="dumb", M2BRIDGE_DATABASE_URL=postgres_db.url)
    reader_url, reader_role = postgres_db.role("reader")
    reader = m2_env(reader_home, fake_minimax, TERM="dumb", M2BRIDGE_DATABASE_URL=reader_url)
    fake_minimax.script(Reply("Shared answer."), Reply("Later answer."))
    _, first = run_json(["chat", "-p", "for the team", "--json"], owner, tmp_path)
    session_id = first["session_id"]
    assert run_cli(["sessions", "share", session_id, reader_role], owner, tmp_path).returncode == 0

    watch = spawn_watch(reader, tmp_path, session_id)
    watch.expect("Shared answer.")
    run_json(["chat", "-p", "one more", "--session", session_id, "--json"], owner, tmp_path)
    watch.expect("M2: Later answer.")
    # No command withdraws a share yet: the owner's own SQL does.
    with psycopg.connect(postgres_db.url, autocommit=True) as conn:
        conn.execute("DELETE FROM m2bridge.shares WHERE session_id = %s", (session_id,))
    watch.expect(f"m2bridge: session {session_id} was removed or is no longer shared with you")
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 1
