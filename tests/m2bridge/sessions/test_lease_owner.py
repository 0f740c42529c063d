"""Lease owners that name their process: a gone process loses its lease at once, pid reuse is seen.

Real processes throughout: a `sleep` child is the "other process", its pid and start time read from
/proc; a holder process that takes a lease is killed for real.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2bridge.errors import SessionBusy
from m2bridge.messages import UserTurn
from m2bridge.sessions import SessionStore
from m2bridge.sessions.owner import LeaseOwner, ProcessIdentity, process_is_gone, this_process

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def identity_of(pid: int) -> ProcessIdentity:
    stat = Path(f"/proc/{pid}/stat").read_text()
    start = stat[stat.rindex(")") + 2 :].split()[19]
    return dataclasses.replace(this_process(), pid=pid, start=start)


@linux_only
def test_this_process_is_named_by_boot_id_pid_namespace_pid_and_start_time():
    me = this_process()
    assert me.pid == os.getpid() and me.start.isdigit()
    assert me.boot_id == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert me.pid_ns.startswith("pid:[")
    assert not process_is_gone(me)


@linux_only
def test_a_running_process_is_alive_but_its_pid_with_another_start_time_is_a_reused_pid(sleeper):
    real = identity_of(sleeper.pid)
    assert not process_is_gone(real)
    reused = dataclasses.replace(real, start=str(int(real.start) + 1))
    assert process_is_gone(reused)
    assert process_is_gone(dataclasses.replace(this_process(), start=str(int(this_process().start) - 1)))


@linux_only
def test_a_killed_process_is_gone_both_as_a_zombie_and_once_collected(sleeper):
    real = identity_of(sleeper.pid)
    sleeper.kill()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{sleeper.pid}/stat").read_text().split(") ")[1][0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert process_is_gone(real)  # not yet waited for: a zombie
    sleeper.wait()
    assert process_is_gone(real)


@linux_only
def test_a_process_of_another_machine_boot_or_pid_namespace_is_never_judged_gone(sleeper):
    real = identity_of(sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    for foreign in (
        dataclasses.replace(real, boot_id="00000000-0000-0000-0000-000000000000", host="elsewhere"),
        dataclasses.replace(real, pid_ns="pid:[1]"),
        dataclasses.replace(real, boot_id=""),  # recorded where there is no /proc (macOS)
        dataclasses.replace(real, start=""),
    ):
        assert not process_is_gone(foreign), foreign


def test_an_owner_round_trips_through_text_and_an_old_plain_label_stays_a_label():
    owner = LeaseOwner("cli:42", this_process())
    assert LeaseOwner.decode(owner.encode()) == owner
    for legacy in ("cli:1234", "m2_task:abc", '{"not": "ours"}', "[1, 2]", ""):
        assert LeaseOwner.decode(legacy) == LeaseOwner(legacy)


HOLDER = """
import sys, time
from m2bridge.sessions import open_store_at
store = open_store_at(sys.argv[1])
lease = store.acquire(sys.argv[2], "holder", ttl=3600)
print("held", flush=True)
time.sleep(60)
"""


def start_holder(db: Path | str, session_id: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), session_id], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


@linux_only
def test_a_lease_whose_process_was_killed_is_taken_over_at_once_though_not_expired(location, store):
    session = store.create(workspace="/w", protocol="anthropic", model="m")
    holder = start_holder(location, session.id)
    try:
        with pytest.raises(SessionBusy):  # alive: its lease is respected
            store.acquire(session.id, "me")
        with pytest.raises(SessionBusy):
            store.append(session.id, [UserTurn(text="x")], expected_head=0)
        with pytest.raises(SessionBusy):
            store.remove(session.id)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert store.append(session.id, [UserTurn(text="x")], expected_head=0) == 1
    with store.acquire(session.id, "me") as lease:
        assert store.append(session.id, [UserTurn(text="y")], expected_head=1, lease=lease) == 2


@linux_only
def test_the_same_label_in_two_processes_is_two_owners(location, store):
    # m2_task labels its lease by session id: two servers running it must not share one lease.
    session = store.create(workspace="/w", protocol="anthropic", model="m")
    holder = start_holder(location, session.id)
    try:
        with pytest.raises(SessionBusy):
            store.acquire(session.id, "holder")
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


# SQLite only: no older m2bridge ever wrote a PostgreSQL store.
def test_a_lease_recorded_as_a_plain_label_by_an_older_m2bridge_keeps_its_time_to_live(tmp_path):
    db = tmp_path / "s.db"
    with SessionStore(db) as store:
        session = store.create(workspace="/w", protocol="anthropic", model="m")
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE sessions SET lease_owner = 'cli:1', lease_expires = ?, lease_depth = 1",
        (time.time() + 3600,),
    )
    conn.commit()
    conn.close()
    with SessionStore(db) as store, pytest.raises(SessionBusy):
        store.acquire(session.id, "me")
