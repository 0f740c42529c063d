"""Process groups: read a child's output without blocking the loop, stop the whole command, reap the leader.

Every command starts in its own session (so its own process group, pgid == pid), under the supervisor
on Linux (`jobs.py`). Stopping it signals the group; the supervisor, which is in that group, then ends
every process the command started, including those that left the group with their own setsid, and exits.
Without a supervisor (macOS) the group signal is all there is. Reaping is done by polling `Popen.poll()`
(waitpid WNOHANG on that one pid), so no child watcher is needed and no zombie of ours outlives the call
that made it.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import os
import signal
from collections.abc import Awaitable, Callable

import anyio

from mcp_tools.budget import Spill
from mcp_tools.terminal.jobs import Job, supervised

__all__ = [
    "READ_CHUNK",
    "Ending",
    "SpillSink",
    "describe_exit",
    "drain",
    "pump_output",
    "reap",
    "stop_group",
    "widen_pipe",
]

READ_CHUNK = 256 * 1024
# Reads per wake-up before yielding to other tasks: a fast writer cannot starve the loop.
_READS_PER_WAKE = 16


class Ending(enum.Enum):
    """Why reading a child's output stopped."""

    EXITED = "exited"  # the output closed and the leader exited
    TIMEOUT = "timeout"  # the deadline passed
    IDLE = "idle"  # no output for the idle limit
    ORPHANS = "orphans"  # the leader exited but something it started is still running


class SpillSink:
    """The file that receives a child's whole output, capped so a runaway process cannot fill the disk."""

    def __init__(self, spill: Spill, label: str, limit: int, *, flush: bool = False) -> None:
        self.path, self._file = spill.create(label, buffering=256 * 1024)
        self.limit = limit
        self.written = 0
        self.problem: str | None = None
        self._flush = flush

    def write(self, data: bytes) -> None:
        if self.problem is not None or self._file.closed:
            return
        room = self.limit - self.written
        if len(data) > room:
            data = data[: max(room, 0)]
            self.problem = f"the output file stops at {self.limit // (1024 * 1024)} MB"
        try:
            self._file.write(data)
            if self._flush:
                self._file.flush()
        except OSError as err:  # a full disk must not take the command's result with it
            self.problem = f"the output file could not be written ({err.strerror or err})"
        self.written += len(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


def widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MB pipe: fewer wake-ups when a child writes fast. Elsewhere a no-op."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, 1024 * 1024)


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Signal the group; False when it no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # only members we may not signal are left (a setuid program): nothing more to do
    return True


async def reap(job: Job, timeout: float) -> int | None:
    """Wait (polling, never blocking the loop) until the job's process is reaped; the return code."""
    with anyio.move_on_after(timeout):
        pause = 0.002
        while not job.finished():
            await anyio.sleep(pause)
            pause = min(pause * 2, 0.05)
    return job.returncode


# How long a supervisor may take beyond the grace period to SIGKILL and reap what was left.
_SUPERVISOR_MARGIN = 5.0


async def stop_group(job: Job, grace: float) -> bool:
    """SIGTERM the command's whole group, SIGKILL it after `grace` seconds, reap the leader.

    The supervisor (in the group) gets the SIGTERM too, and does the same to every descendant of the
    command, in the group or not; it is given its own SIGKILL round before the group is killed outright.
    Returns False when the group was already gone (nothing was signalled). Callers shield this from
    cancellation: it is the cleanup that cancellation relies on.
    """
    pgid = job.pid  # start_new_session: the leader's pid is the group's id
    job.finished()
    if not _signal_group(pgid, signal.SIGTERM):
        await reap(job, grace)
        return False
    _signal_group(pgid, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
    await reap(job, grace + (_SUPERVISOR_MARGIN if supervised() else 0.0))
    # Whatever is left (the leader's children, or a leader ignoring SIGTERM) is killed outright.
    _signal_group(pgid, signal.SIGKILL)
    await reap(job, 5.0)
    return True


def drain(fd: int, sink: Callable[[bytes], None], limit: int = 64) -> None:
    """Read what is already waiting in `fd` (non-blocking), at most `limit` chunks."""
    for _ in range(limit):
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as err:
            if err.errno == errno.EIO:  # a pseudo-terminal whose other side is closed
                return
            raise
        if not data:
            return
        sink(data)


async def pump_output(
    fd: int,
    job: Job,
    sink: Callable[[bytes], None],
    *,
    deadline: float,
    idle: float | None = None,
    linger: float = 0.5,
    tick: Callable[[], Awaitable[None]] | None = None,
    tick_every: float = 2.0,
    leader_poll: float = 0.1,
) -> Ending:
    """Feed everything `fd` yields to `sink` until the child is done or a limit is reached.

    `fd` must be non-blocking. Times are `anyio.current_time()` values. End of output is an empty read or
    EIO (a pseudo-terminal's master once every holder of the slave is gone). The command is done when its
    output closed and its job finished (under a supervisor: nothing it started is left). `linger` is how
    long after the shell exited its leftovers may run before they count as left-behind processes.
    `leader_poll` is how often a silent child is checked for having exited while its output stays open.
    """
    now = anyio.current_time()
    last_output = now
    next_tick = now + tick_every
    exited_at: float | None = None
    eof = False
    pause = 0.002
    while True:
        now = anyio.current_time()
        if exited_at is None and job.leader_exited():
            exited_at = now
        if eof and exited_at is not None and job.finished():
            return Ending.EXITED
        if now >= deadline:
            return Ending.TIMEOUT
        if idle is not None and now - last_output >= idle:
            return Ending.IDLE
        if exited_at is not None and now - exited_at >= linger:
            return Ending.ORPHANS
        if tick is not None and now >= next_tick:
            await tick()
            next_tick = anyio.current_time() + tick_every
        wake = deadline
        if tick is not None:
            wake = min(wake, next_tick)
        if idle is not None:
            wake = min(wake, last_output + idle)
        if exited_at is not None:
            wake = min(wake, exited_at + linger)
        if eof:
            # Output is closed; only the job's end is awaited (it usually follows at once).
            await anyio.sleep(max(0.0, min(wake, now + pause) - now))
            pause = min(pause * 2, 0.05)
            continue
        wake = min(wake, now + leader_poll)
        with anyio.move_on_after(max(0.0, wake - anyio.current_time())):
            await anyio.wait_readable(fd)
        got = False
        for _ in range(_READS_PER_WAKE):
            try:
                data = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                break
            except OSError as err:
                if err.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                eof = True
                break
            sink(data)
            got = True
        if got:
            last_output = anyio.current_time()


# A shell (and bubblewrap, for the sandboxed command) says "killed by signal N" as exit code 128 + N.
_SIGNAL_CODES = range(129, 129 + 64)


def describe_exit(returncode: int) -> str:
    """`exit code 2`, or the signal that ended it; `exit code 139 (128 + SIGSEGV)` for a signal's code."""
    if returncode >= 0:
        if returncode in _SIGNAL_CODES:
            with contextlib.suppress(ValueError):
                return f"exit code {returncode} (128 + {signal.Signals(returncode - 128).name})"
        return f"exit code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"killed by {name}"
