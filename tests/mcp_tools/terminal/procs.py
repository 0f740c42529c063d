"""Looking at the process table: which processes of a group are alive, which of our children are zombies.

Commands run in a PID namespace of their own (the sandbox), so the pids they print (`$$`, `$!`) mean
nothing out here. The terminal tests give every command's environment a token instead
(`TOKEN_VARIABLE`, see conftest.py): a process of the test's commands is one whose environment holds it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

__all__ = [
    "TOKEN_VARIABLE",
    "all_gone",
    "group_is_gone",
    "is_alive",
    "live_members",
    "our_zombies",
    "read_pids",
    "still_running",
    "token_holders",
    "zombies_below",
    "zombies_of",
]

TOKEN_VARIABLE = "M2BRIDGE_TEST_TOKEN"


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
    return zombies_of(os.getpid())


def zombies_of(parent: int) -> list[int]:
    """Children of `parent` that exited and were never reaped."""
    if not sys.platform.startswith("linux"):
        return []
    return [pid for pid, state, ppid, _ in _table() if ppid == parent and state == "Z"]


def group_is_gone(pgid: int, within: float = 2.0) -> bool:
    """True once no live process is left in the group; SIGKILL is delivered asynchronously, so wait a bit."""
    deadline = time.monotonic() + within
    while live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return False
    return text[text.rindex(")") + 2 :].split()[0] not in ("Z", "X")


def all_gone(pids: list[int], within: float = 3.0) -> list[int]:
    """The pids still alive after waiting up to `within` seconds (SIGKILL lands asynchronously)."""
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in pids if is_alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def read_pids(folder: Path, names: list[str], within: float = 10.0) -> list[int]:
    """The pids the commands wrote into `folder/<name>` once all are written (bounded wait)."""
    deadline = time.monotonic() + within
    while True:
        texts = [(folder / name).read_text() if (folder / name).exists() else "" for name in names]
        if all(t.endswith("\n") for t in texts):
            return [int(t) for t in texts]
        assert time.monotonic() < deadline, (
            f"no pid in {[n for n, t in zip(names, texts, strict=True) if not t]}"
        )
        time.sleep(0.02)


def token_holders(token: str) -> list[int]:
    """Live processes (not zombies) whose environment holds `TOKEN_VARIABLE=token`."""
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue  # it exited while we looked
        if needle in environ.split(b"\0") and is_alive(int(entry)):
            found.append(int(entry))
    return found


def still_running(token: str, within: float = 3.0) -> list[int]:
    """The processes holding `token` still alive after waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        left = token_holders(token)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def zombies_below(root: int) -> list[int]:
    """Zombies anywhere in the process tree below `root` (not reaped by whoever should)."""
    table = _table()
    children: dict[int, list[int]] = {}
    for pid, _, ppid, _ in table:
        children.setdefault(ppid, []).append(pid)
    below: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in below:
                below.add(child)
                stack.append(child)
    return [pid for pid, state, _, _ in table if pid in below and state == "Z"]
