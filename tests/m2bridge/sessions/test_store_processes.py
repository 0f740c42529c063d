"""Several real processes sharing one store: concurrent writers, and a writer killed with SIGKILL.

On both backends (conftest.py): one SQLite file, or one PostgreSQL database."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2bridge.errors import SessionBusy
from m2bridge.messages import AssistantTurn, ToolResultsTurn, Turn, UserTurn
from m2bridge.sessions import LoadedSession, StoreLocation, open_store_at

WRITER = Path(__file__).with_name("store_writer.py")
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and POSIX file modes")


def start_writer(
    db: StoreLocation, session: str, writer: str, count: int, *options: str
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(db), session, writer, str(count), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != "ready\n":
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"writer did not start: {line!r}\n{err}")
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[list[int], int]:
    """Wait for a writer; return the indexes it acknowledged and how often it had to retry."""
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1].startswith("done "), out[-500:]
    return [int(line.split()[1]) for line in lines[:-1]], int(lines[-1].split()[1])


def marker(turn: Turn) -> tuple[str, int, int] | None:
    """The (writer, batch, part) a writer process stamped on a turn; None for other turns."""
    if isinstance(turn, AssistantTurn):
        m = turn.provider_message["marker"]
    elif isinstance(turn, ToolResultsTurn):
        m = json.loads(turn.results[0].content)
    else:
        return None
    return m["writer"], m["seq"], m["part"]


def assert_contiguous_and_clean(loaded: LoadedSession) -> None:
    assert loaded.warnings == []
    assert [t.index for t in loaded.turns] == list(range(loaded.head))


def assert_integrity(db: StoreLocation) -> None:
    if not isinstance(db, Path):
        import psycopg

        with psycopg.connect(db) as conn:  # every session's head is the number of its turns
            assert conn.execute(
                "SELECT count(*) FROM m2bridge.sessions s"
                " WHERE head <> (SELECT count(*) FROM m2bridge.turns t WHERE t.session_id = s.id)"
            ).fetchone() == (0,)
        return
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_two_processes_appending_to_two_sessions_lose_nothing(tmp_path, location):
    db = location
    with open_store_at(db) as store:
        a = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
        b = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
    go = tmp_path / "go"
    procs = [start_writer(db, s.id, name, 500, "--go", str(go)) for s, name in ((a, "A"), (b, "B"))]
    go.touch()
    results = [finish(p) for p in procs]

    with open_store_at(db) as store:
        for session, name, (acks, retries) in zip((a, b), "AB", results, strict=True):
            assert retries == 0  # different sessions never get in each other's way
            loaded = store.load(session.id)
            assert loaded.head == 500
            assert acks == list(range(500))
            assert_contiguous_and_clean(loaded)
            assert [marker(t.turn) for t in loaded.turns] == [(name, i, 0) for i in range(500)]
    assert_integrity(db)


def test_two_processes_appending_to_one_session_lose_nothing_and_leave_no_gaps(tmp_path, location):
    db = location
    with open_store_at(db) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
    go = tmp_path / "go"
    # Every other append under a lease, the rest optimistic: both SessionBusy and SessionMovedOn occur.
    procs = [
        start_writer(db, session.id, name, 500, "--lease", "alternate", "--go", str(go)) for name in "AB"
    ]
    go.touch()
    results = [finish(p) for p in procs]

    with open_store_at(db) as store:
        loaded = store.load(session.id)
    assert loaded.head == 1000
    assert_contiguous_and_clean(loaded)
    markers = [marker(t.turn) for t in loaded.turns]
    for name, (acks, _) in zip("AB", results, strict=True):
        # Each writer's turns: all present, once each, in its own order, at the indexes it was told.
        mine = [(i, m) for i, m in enumerate(markers) if m[0] == name]
        assert [m for _, m in mine] == [(name, seq, 0) for seq in range(500)]
        assert [i for i, _ in mine] == acks
    assert sorted(results[0][0] + results[1][0]) == list(range(1000))
    assert_integrity(db)


def test_a_writer_killed_mid_loop_loses_no_acknowledged_turn_and_the_store_stays_usable(tmp_path, location):
    db = location
    with open_store_at(db) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
    rng = random.Random(20240601)
    acknowledged: dict[int, tuple[str, int, int]] = {}  # every round's acknowledged turns
    for round_ in range(5):
        name = f"K{round_}"
        # Batches of 3 turns under one held lease with a short ttl, so the kill leaves a lease behind
        # and may land inside a transaction.
        proc = start_writer(db, session.id, name, 100_000, "--batch", "3", "--lease", "hold", "--ttl", "0.5")
        assert proc.stdout is not None
        acks: list[int] = []
        kill_after = rng.randrange(30, 300)
        while len(acks) < kill_after:
            line = proc.stdout.readline()
            assert line.startswith("ack "), line
            acks.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        acks += [int(line.split()[1]) for line in rest.splitlines()]  # flushed before the kill

        with open_store_at(db) as store:
            loaded = store.load(session.id)
            assert_contiguous_and_clean(loaded)
            markers = {t.index: marker(t.turn) for t in loaded.turns}
            # The killed writer's turns: whole batches in order (the last one may be stored without
            # having been acknowledged), and every acknowledged one among them.
            mine = [(i, m) for i, m in markers.items() if m is not None and m[0] == name]
            assert len(mine) % 3 == 0
            assert [m for _, m in mine] == [
                (name, seq, part) for seq in range(len(mine) // 3) for part in range(3)
            ]
            assert [i for i, _ in mine][: len(acks)] == acks
            acknowledged.update((i, markers[i]) for i in acks)
            assert all(markers[i] == m for i, m in acknowledged.items())

            # The dead writer's lease is taken over at once, its process being gone (where /proc
            # tells; elsewhere once the lease expires).
            deadline = time.monotonic() + (0 if Path("/proc/self/stat").exists() else 20)
            while True:
                try:
                    lease = store.acquire(session.id, "survivor", ttl=10)
                    break
                except SessionBusy:
                    assert time.monotonic() < deadline, "the killed writer's lease was never taken over"
                    time.sleep(0.05)
            with lease:
                head = store.append(
                    session.id, [UserTurn(text=f"after {name}")], expected_head=loaded.head, lease=lease
                )
            assert head == loaded.head + 1
            assert store.load(session.id).turns[-1].turn == UserTurn(text=f"after {name}")
        assert_integrity(db)
