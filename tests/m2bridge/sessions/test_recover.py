"""A damaged store is a clear error naming the way out, and `recover` salvages every readable turn.

Real stores built through the store API, damaged by overwriting whole pages of the file.
SQLite only: `recover` salvages an SQLite file (PostgreSQL has its own backup and checking tools).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from m2bridge.errors import SessionError, StoreDamaged
from m2bridge.messages import UserTurn
from m2bridge.sessions import SessionStore
from m2bridge.sessions.recover import recover
from m2bridge.sessions.schema import NotASessionStore, SchemaTooNew
from m2bridge.sessions.store import LOST_KIND
from tests.m2bridge.sessions.store_damage import (
    damage_header,
    damage_leaf,
    digest,
    fill,
    overwrite_page,
    raw_sessions,
    raw_turns,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sessions.db"
    fill(path, 40)
    return path


@pytest.fixture
def db(tmp_path: Path, template: Path) -> Path:
    """A closed store of 40 sessions (3 turns each), private to the test."""
    path = tmp_path / "home" / "sessions.db"
    path.parent.mkdir()
    shutil.copyfile(template, path)
    return path


def assert_damage_error(err: StoreDamaged, db: Path) -> None:
    text = str(err)
    assert str(db) in text and "m2bridge sessions recover" in text and "\n" not in text
    assert err.code == "store_damaged"


def test_a_damaged_turn_page_makes_reading_it_a_store_damaged_error_naming_the_file_and_recover(db):
    ids = list(raw_sessions(db))
    with SessionStore(db) as store:  # opened before the damage, as a long-running server would be
        damage_leaf(db, "turns")
        damaged = []
        for session_id in ids:
            try:
                store.load(session_id)
            except StoreDamaged as err:
                assert_damage_error(err, db)
                damaged.append(session_id)
        assert 1 <= len(damaged) <= 2  # only the sessions with a turn on that page
        with pytest.raises(StoreDamaged):
            store.fork(damaged[0])
        store.append(ids[0], [UserTurn(text="still writable")], expected_head=3)


def test_a_damaged_sessions_page_makes_listing_and_opening_a_session_a_store_damaged_error(db):
    damage_leaf(db, "sessions")
    with SessionStore(db) as store:
        with pytest.raises(StoreDamaged) as caught:
            store.list()
        assert_damage_error(caught.value, db)


def test_a_damaged_header_is_a_store_damaged_error_and_the_file_is_left_alone(db):
    damage_header(db)
    before = digest(db)
    with pytest.raises(StoreDamaged, match="file is not a database") as caught:
        SessionStore(db)
    assert_damage_error(caught.value, db)
    assert digest(db) == before


def test_recover_keeps_every_readable_turn_byte_identical_and_marks_the_lost_ones(db):
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    damage_leaf(db, "turns")
    damaged_bytes = digest(db)

    report = recover(db)

    kept = Path(report.kept_as)
    assert kept.name.startswith("sessions.db.damaged-") and kept.parent == db.parent
    assert digest(kept) == damaged_bytes  # the damaged file is kept, unchanged
    assert not list(db.parent.glob(".recover-*"))  # no scratch left behind
    after = raw_turns(db)
    salvaged = {key: row for key, row in after.items() if row[0] != LOST_KIND}
    lost = sorted(key for key, row in after.items() if row[0] == LOST_KIND)
    assert all(turns_before[key] == row for key, row in salvaged.items())  # history is sacred
    assert set(after) == set(turns_before)  # every index is there, salvaged or marked lost
    assert 1 <= len(lost) <= 3 and report.lost_turns == len(lost)
    assert (report.sessions, report.turns) == (40, len(turns_before) - len(lost))
    assert raw_sessions(db) == sessions_before  # titles, workspaces, times, heads, context sizes
    with SessionStore(db) as store:
        assert len(store.list()) == 40
        for session_id, _ in lost:
            loaded = store.load(session_id)
            assert loaded.head == 3 and any("lost to damage" in w for w in loaded.warnings)
        untouched = next(s for s in sessions_before if all((s, i) not in lost for i in range(3)))
        store.append(untouched, [UserTurn(text="goes on")], expected_head=3)


def test_recover_rebuilds_sessions_whose_record_was_on_a_damaged_page_from_their_turns(db):
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    damage_leaf(db, "sessions")

    report = recover(db)

    sessions_after = raw_sessions(db)
    assert set(sessions_after) == set(sessions_before)
    rebuilt = [s for s in sessions_after if sessions_after[s] != sessions_before[s]]
    assert rebuilt and report.rebuilt_sessions == len(rebuilt)
    for session_id in rebuilt:
        title, _workspace, protocol, model, *_rest, head, _tokens, _fork = sessions_after[session_id]
        assert "record was lost" in title and (protocol, model, head) == ("anthropic", "MiniMax-M2", 3)
    assert raw_turns(db) == turns_before  # no turn was on the damaged page


def test_recover_rebuilds_a_damaged_header_and_salvages_everything(db):
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    damage_header(db)

    report = recover(db)

    assert report.header_rebuilt and (report.turns, report.lost_turns) == (len(turns_before), 0)
    assert raw_turns(db) == turns_before and raw_sessions(db) == sessions_before
    with SessionStore(db) as store:
        assert len(store.list()) == 40


def test_recover_carries_no_lease_over(db):
    with SessionStore(db) as store:
        session_id = store.list()[0].id
        store.acquire(session_id, "crashed", ttl=3600)
    recover(db)
    with SessionStore(db) as store:
        store.acquire(session_id, "me").release()


def test_recover_refuses_a_file_that_is_no_session_store_and_one_from_a_newer_m2bridge(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    fill(newer, 1)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    for path, error in ((other, NotASessionStore), (newer, SchemaTooNew)):
        before = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(error, match=r"(?i)nothing was changed"):
            recover(path)
        assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_recover_of_a_missing_store_says_there_is_nothing_to_recover(tmp_path):
    with pytest.raises(SessionError, match="nothing to recover"):
        recover(tmp_path / "none.db")
    assert not list(tmp_path.iterdir())


HOLDER = """
import sys, time
from m2bridge.sessions import SessionStore
store = SessionStore(sys.argv[1])
store.list()
print("open", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux)")
def test_recover_refuses_while_another_process_has_the_store_open_and_changes_nothing(db):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        before = sorted(p.name for p in db.parent.iterdir())
        with pytest.raises(SessionError, match=rf"open in other processes \(pid {holder.pid} ") as caught:
            recover(db)
        assert "Nothing was changed" in str(caught.value)
        assert sorted(p.name for p in db.parent.iterdir()) == before
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert recover(db).sessions == 40


def test_a_turn_whose_overflow_page_is_damaged_is_the_only_one_lost(tmp_path):
    db = tmp_path / "big.db"
    with SessionStore(db) as store:
        for n in range(5):  # one long turn each, stored over several overflow pages
            info = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2")
            store.append(
                info.id, [UserTurn(text=f"{n} " + "y" * 20_000), UserTurn(text="short")], expected_head=0
            )
    turns_before = raw_turns(db)
    conn = sqlite3.connect(db)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    overflow = [
        p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'turns' AND pagetype = 'overflow'")
    ]
    conn.close()
    overwrite_page(db, overflow[len(overflow) // 2], size)

    report = recover(db)

    after = raw_turns(db)
    (lost,) = [key for key, row in after.items() if row[0] == LOST_KIND]
    assert lost[1] == 0 and (report.lost_turns, report.unreadable_rows, report.turns) == (1, 1, 9)
    assert {k: v for k, v in after.items() if k != lost} == {
        k: v for k, v in turns_before.items() if k != lost
    }


def interior_pages(db: Path, table: str) -> tuple[int, list[int]]:
    conn = sqlite3.connect(db)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [
            p
            for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'internal'", (table,)
            )
        ]
    finally:
        conn.close()
    return size, pages


def test_a_damaged_interior_page_loses_no_turn_the_leaves_below_it_still_hold(db):
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    size, (root, *_) = interior_pages(db, "turns")
    overwrite_page(db, root, size)

    report = recover(db)

    assert report.skipped_ranges >= 1 and report.page_rows == len(turns_before) and report.lost_turns == 0
    assert raw_turns(db) == turns_before and raw_sessions(db) == sessions_before


def test_a_damaged_schema_page_still_gives_back_every_session_and_turn(db):
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    with db.open("r+b") as handle:  # page 1 after the file header: the list of tables
        handle.seek(100)
        handle.write(b"\xde\xad\xbe\xef" * 200)
    with pytest.raises(StoreDamaged):
        SessionStore(db)

    report = recover(db)

    assert not report.readable and report.page_rows == len(turns_before)
    assert raw_turns(db) == turns_before and raw_sessions(db) == sessions_before


def test_turns_of_removed_sessions_do_not_come_back_from_freed_pages(db):
    with SessionStore(db) as store:
        removed = [info.id for info in store.list()[10:25]]  # created one after another: whole pages
        for session_id in removed:
            store.remove(session_id)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0  # pages holding their old bytes
    conn.close()
    turns_before, sessions_before = raw_turns(db), raw_sessions(db)
    size, (root, *_) = interior_pages(db, "turns")
    overwrite_page(db, root, size)

    recover(db)

    assert raw_turns(db) == turns_before and raw_sessions(db) == sessions_before
