"""The CLI on a damaged session store: one clear line (or one JSON object), and a way out that works.

Real processes, a real store (the first sessions made by real `chat` turns against the strict fake,
the rest through the store API so the tables span many pages), damaged by overwriting pages.
"""

import json
import sqlite3
from pathlib import Path

from tests.fakes.minimax import Reply
from tests.m2bridge.sessions.store_damage import (
    damage_header,
    damage_leaf,
    digest,
    fill,
    raw_sessions,
    raw_turns,
)
from tests.support.env import JSON_CONTRACT_FIELDS, m2_env, run_cli, run_json


def store_path(env) -> Path:
    return Path(env["M2BRIDGE_HOME"]) / "sessions.db"


def start_sessions(tmp_path, fake_minimax, env, count=2):
    """`count` sessions made by real chat turns, then 40 more through the store API."""
    fake_minimax.script(*(Reply(f"answer {n}") for n in range(count)))
    ids = []
    for n in range(count):
        code, out = run_json(["chat", "-p", f"question {n}", "--json"], env, tmp_path)
        assert code == 0, out
        ids.append(out["session_id"])
    fill(store_path(env), 40)
    return ids


def assert_one_line_naming_the_way_out(proc, db, reason):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert str(db) in lines[0] and "m2bridge sessions recover" in lines[0] and reason in lines[0]


def assert_json_error(env, tmp_path, args, session_known):
    code, out = run_json(["chat", "-p", "hello", *args, "--json"], env, tmp_path)
    assert code == 1 and set(out) == JSON_CONTRACT_FIELDS and out["stop_reason"] == "error"
    assert out["error"]["code"] == "store_damaged" and "m2bridge sessions recover" in out["error"]["message"]
    assert (out["session_id"] is not None) == session_known


def unreadable(db, sql, ids):
    """The ids for which `sql` (one `?`) fails on the damaged file."""
    conn = sqlite3.connect(db)
    found = []
    try:
        for session_id in ids:
            try:
                conn.execute(sql, (session_id,)).fetchall()
            except sqlite3.DatabaseError:
                found.append(session_id)
    finally:
        conn.close()
    return found


def test_a_damaged_header_makes_every_command_say_so_in_one_line_and_json_print_one_object(
    tmp_path, fake_minimax
):
    env = m2_env(tmp_path, fake_minimax)
    (first,) = start_sessions(tmp_path, fake_minimax, env, count=1)
    db = store_path(env)
    damage_header(db)
    for argv in (["sessions", "list", "--json"], ["chat", "-p", "hi", "--continue"]):
        assert_one_line_naming_the_way_out(run_cli(argv, env, tmp_path), db, "file is not a database")
    assert_json_error(env, tmp_path, ["--session", first], session_known=False)
    assert len(fake_minimax.requests) == 1  # nothing reached the model after the damage


def test_a_damaged_sessions_page_makes_the_commands_that_read_it_say_so_in_one_line(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    start_sessions(tmp_path, fake_minimax, env, count=1)
    db = store_path(env)
    ids = list(raw_sessions(db))
    damage_leaf(db, "sessions")
    (lost, *_) = unreadable(db, "SELECT * FROM sessions WHERE id = ?", ids)
    for argv in (["sessions", "list"], ["sessions", "rm", lost]):
        assert_one_line_naming_the_way_out(run_cli(argv, env, tmp_path), db, "malformed")
    assert_json_error(env, tmp_path, ["--session", lost], session_known=False)


def test_a_damaged_turn_page_fails_the_turn_with_one_json_object_naming_its_session(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    start_sessions(tmp_path, fake_minimax, env, count=1)
    db = store_path(env)
    ids = list(raw_sessions(db))
    damage_leaf(db, "turns")
    (hit, *_) = unreadable(db, "SELECT CAST(payload AS BLOB) FROM turns WHERE session_id = ?", ids)
    assert_json_error(env, tmp_path, ["--session", hit], session_known=True)
    assert_one_line_naming_the_way_out(run_cli(["sessions", "export", hit], env, tmp_path), db, "malformed")


def test_sessions_recover_salvages_every_readable_turn_keeps_the_old_file_and_the_chat_goes_on(
    tmp_path, fake_minimax
):
    env = m2_env(tmp_path, fake_minimax)
    first, second = start_sessions(tmp_path, fake_minimax, env)
    db = store_path(env)
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    # Far apart, so no session loses both its record and its last turns (a session rebuilt from
    # its turns cannot know how many it had).
    damage_leaf(db, "turns", 0.8)
    damage_leaf(db, "sessions", 0.25)
    damaged = digest(db)

    code, report = run_json(["sessions", "recover", "--json"], env, tmp_path)

    assert code == 0 and report["store"] == str(db)
    kept = Path(report["kept_as"])
    assert kept.parent == db.parent and digest(kept) == damaged  # kept as it was, never deleted
    after = raw_turns(db)
    salvaged = {key: row for key, row in after.items() if row[0] != "lost"}
    assert all(turns_before[key] == row for key, row in salvaged.items())
    assert set(after) == set(turns_before) and report["lost_turns"] == len(after) - len(salvaged) >= 1
    assert report["turns"] == len(salvaged) and report["rebuilt_sessions"] >= 1
    assert report["sessions"] == len(sessions_before) == len(raw_sessions(db))
    for session_id in (first, second):  # made first: on pages the damage did not reach
        assert raw_sessions(db)[session_id] == sessions_before[session_id]

    listed = run_cli(["sessions", "list", "--json"], env, tmp_path)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == len(sessions_before)
    # The fake checks that the earlier turn comes back exactly as it sent it.
    fake_minimax.script(Reply("after the recovery"))
    code, out = run_json(["chat", "-p", "again", "--session", first, "--json"], env, tmp_path)
    assert (code, out["text"], out["error"]) == (0, "after the recovery", None)


def test_sessions_recover_in_words_reports_what_was_saved_and_where_the_old_file_is(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    start_sessions(tmp_path, fake_minimax, env, count=1)
    db = store_path(env)
    damage_header(db)
    proc = run_cli(["sessions", "recover"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (
        "recovered 41 sessions and 122 turns" in proc.stdout and "rebuilding the file's header" in proc.stdout
    )
    (kept,) = db.parent.glob("sessions.db.damaged-*")
    assert f"kept as {kept}" in proc.stdout


def test_sessions_recover_without_a_store_exits_1_with_one_line(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    proc = run_cli(["sessions", "recover"], env, tmp_path)
    assert proc.returncode == 1 and "nothing to recover" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_doctor_on_a_damaged_store_names_the_recovery_command(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    start_sessions(tmp_path, fake_minimax, env, count=1)
    db = store_path(env)
    damage_leaf(db, "turns")
    fake_minimax.script(Reply("Hi"))  # doctor's key check sends one tiny request; the store alone fails
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    shown = " ".join((proc.stdout + proc.stderr).split())  # the terminal renderer wraps long lines
    assert str(db) in shown and "m2bridge sessions recover" in shown, shown
