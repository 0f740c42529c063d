"""Who holds a turn lease: a caller's label plus the identity of its process.

A lease used to die only by expiring, so a `chat` killed with SIGKILL (or a closed terminal) kept
its session busy for minutes. The lease now names its process in a way that survives pid reuse:
the machine's boot id, the pid namespace, the pid and the process's start time. A lease whose
process is provably gone is taken over at once. "Provably" means: same boot and same pid namespace
as the one judging (otherwise the pid means nothing here), and either no such pid, a zombie, or a
pid now belonging to a process that started at another time.

Where /proc is missing (macOS) or the holder is on another machine (a shared PostgreSQL store) the
identity is incomplete or foreign, and the lease falls back to its time-to-live.

The owner is serialised as a small JSON object into the store's text column, so any backend can
keep it. A value that is not such an object (written by an older m2bridge) is a plain label.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

__all__ = ["LeaseOwner", "ProcessIdentity", "process_is_gone", "this_process"]

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessIdentity:
    """One process, told apart from any later process that gets the same pid."""

    host: str
    boot_id: str  # empty where the platform has no boot id (no /proc): liveness is then unknown
    pid_ns: str  # the pid namespace ("pid:[4026531836]"); pids mean nothing across namespaces
    pid: int
    start: str  # start time in clock ticks since boot (field 22 of /proc/PID/stat); "" if unknown


@dataclass(frozen=True)
class LeaseOwner:
    """A lease holder: the caller's label (`cli:1234`, `lsp:77`) and, when known, its process."""

    label: str
    process: ProcessIdentity | None = None

    def encode(self) -> str:
        if self.process is None:
            return self.label
        return json.dumps({"label": self.label, **asdict(self.process)}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> LeaseOwner:
        """The owner stored in `text`; a value that is not one of ours is a bare label."""
        try:
            data = json.loads(text)
            if isinstance(data, dict):
                fields = cast("dict[str, Any]", data)
                label = fields.pop("label")
                if isinstance(label, str) and isinstance(fields.get("pid"), int):
                    return cls(label, ProcessIdentity(**fields))
        except (ValueError, TypeError, KeyError):
            pass
        return cls(text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    text = _read(_PROC / str(pid) / "stat")
    if not text or ")" not in text:
        return None
    return text[text.rindex(")") + 2 :].split()


def _start_time(pid: int) -> str:
    fields = _stat_fields(pid)
    # After the name: state is field 3 of the file, starttime field 22, so index 0 and 19 here.
    return fields[19] if fields and len(fields) > 19 else ""


def _pid_namespace(pid: int | str) -> str:
    try:
        return os.readlink(_PROC / str(pid) / "ns" / "pid")
    except OSError:
        return ""


_cached: tuple[int, ProcessIdentity] | None = None


def this_process() -> ProcessIdentity:
    """This process's identity (recomputed after a fork, since the pid changes)."""
    global _cached
    pid = os.getpid()
    if _cached is None or _cached[0] != pid:
        _cached = (
            pid,
            ProcessIdentity(
                host=socket.gethostname(),
                boot_id=_read(_PROC / "sys" / "kernel" / "random" / "boot_id"),
                pid_ns=_pid_namespace("self"),
                pid=pid,
                start=_start_time(pid),
            ),
        )
    return _cached[1]


def process_is_gone(process: ProcessIdentity) -> bool:
    """True only when `process` provably no longer runs; False when alive or when it cannot be told."""
    here = this_process()
    if not (process.boot_id and process.pid_ns and process.start):
        return False  # recorded where there was no /proc: only the time-to-live can end it
    if (process.boot_id, process.pid_ns) != (here.boot_id, here.pid_ns):
        return False  # another machine, another boot or another pid namespace: its pid is not ours
    if process.pid == here.pid:
        return process.start != here.start
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, owned by someone else: look at its start time below
    except OSError:
        return False
    fields = _stat_fields(process.pid)
    if fields is None:
        return False  # exists but hidden from us (hidepid): cannot tell, keep the lease
    if fields[0] in ("Z", "X"):
        return True  # killed, waiting only for its parent to collect the exit status
    return len(fields) > 19 and fields[19] != process.start
