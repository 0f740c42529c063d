"""Looking at the process table: which processes of a group are alive, which of our children are zombies."""

from __future__ import annotations

import os
import sys
import time

__all__ = ["group_is_gone", "live_members", "our_zombies"]


def _table() -> list[tuple[int, str, int, int]]:
    """(pid, state, ppid, pgrp) of every process, from /proc."""
    rows = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue  # it exited while we looked
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        rows.append((int(entry), fields[0], int(fields[1]), int(fields[2])))
    return rows


def live_members(pgid: int) -> list[int]:
    """Processes of group `pgid` that are not zombies (a zombie already died; only its parent reaps it)."""
    if not sys.platform.startswith("linux"):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    return [pid for pid, state, _, pgrp in _table() if pgrp == pgid and state != "Z"]


def our_zombies() -> list[int]:
    """Children of this test process that exited and were never reaped."""
    if not sys.platform.startswith("linux"):
        return []
    me = os.getpid()
    return [pid for pid, state, ppid, _ in _table() if ppid == me and state == "Z"]


def group_is_gone(pgid: int, within: float = 2.0) -> bool:
    """True once no live process is left in the group; SIGKILL is delivered asynchronously, so wait a bit."""
    deadline = time.monotonic() + within
    while live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
