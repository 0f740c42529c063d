"""Long-running and interactive processes in pseudo-terminals, kept between tool calls.

Each process runs `/bin/sh -c COMMAND` in its own session with the pseudo-terminal as its controlling
terminal (so Ctrl-C typed into it interrupts, and programs that open /dev/tty work); on Linux the session's
leader is the supervisor (`jobs.py`), which ends everything the command started when it is stopped. A
background task per process pumps the terminal's output into a bounded unread buffer and a spill file,
enforces the lifetime limit, and reaps the leader. `ProcessRegistry.close()` stops them all.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import os
import struct
import termios
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio

from mcp_tools.budget import Spill
from mcp_tools.failure import ToolFailure
from mcp_tools.sandbox import Confinement
from mcp_tools.terminal.common import SHELL
from mcp_tools.terminal.groups import Ending, SpillSink, describe_exit, drain, pump_output, stop_group
from mcp_tools.terminal.jobs import Job, start_job
from mcp_tools.terminal.patterns import TextPattern

__all__ = ["DEFAULT_LIFETIME", "MAX_LIFETIME", "ManagedProcess", "ProcessRegistry", "Reading"]

DEFAULT_MAX_PROCESSES = 16
DEFAULT_BUFFER_LIMIT = 1024 * 1024
# Every process is killed after its lifetime: 1 hour unless start_process asks otherwise, 4 hours at most.
DEFAULT_LIFETIME = 3600.0
MAX_LIFETIME = 4 * 3600.0
DEFAULT_KEEP_EXITED = 16
SPILL_LIMIT = 1024 * 1024 * 1024
# A reply without wait_for is complete once output has been quiet this long (or after _MAX_SETTLE).
_SETTLE = 0.3
_MAX_SETTLE = 2.0
_SEARCH_EVERY = 0.05
# How often a silent process is checked for having exited while something still holds its terminal.
_LEADER_POLL = 0.25
# Rows and columns the programs see: wide, so log lines wrap less.
_WINDOW = (40, 160)
_WRITE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Reading:
    """New output taken from a process, and why the wait for it ended."""

    text: str
    dropped: int  # bytes that overflowed the unread buffer since the last read
    matched: bool  # wait_for was found
    timed_out: bool  # the wait ended at its timeout (not an error)


def _take_controlling_terminal() -> None:
    """Runs in the child between fork and exec (after setsid): make fd 0, the slave, its terminal.

    Kept to one ioctl: no import, no lock: nothing another thread of the parent could have held at fork.
    """
    # On failure the process still runs, just without job control (Ctrl-C then reaches nobody).
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class ManagedProcess:
    """One process in a pseudo-terminal, its unread output, and its fate."""

    def __init__(
        self,
        ident: str,
        command: str,
        cwd: Path,
        job: Job,
        master: int,
        sink: SpillSink,
        *,
        buffer_limit: int,
        max_lifetime: float,
        grace: float,
        confinement: Confinement | None = None,
    ) -> None:
        self.id = ident
        self.confinement = confinement
        self.command = command
        self.cwd = cwd
        self.pid = job.pid
        self.spill_path = sink.path
        self.max_lifetime = max_lifetime
        self.total = 0
        self.stop_reason: str | None = None
        self.failure: str | None = None
        self._job = job
        self._master = master
        self._sink = sink
        self._buffer_limit = buffer_limit
        self._grace = grace
        self._unread = bytearray()
        self._dropped = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = anyio.current_time()
        self._ended: float | None = None
        self._last_output = self._started
        self._changed = anyio.Event()
        self._finished = anyio.Event()
        self._read_lock = anyio.Lock()
        self._stop_lock = anyio.Lock()
        self._pump: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._run(), name=f"m2bridge-process-{ident}"
        )

    # State ------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    @property
    def returncode(self) -> int | None:
        return self._job.returncode

    @property
    def runtime(self) -> float:
        return (self._ended or anyio.current_time()) - self._started

    @property
    def unread(self) -> int:
        return len(self._unread)

    def status(self) -> str:
        """`running for 3.2 s`, or how it ended."""
        if self.running:
            return f"running for {self.runtime:.1f} s"
        code = self.returncode
        how = describe_exit(code) if code is not None else "exit status unknown"
        text = f"exited ({how}) after {self.runtime:.1f} s"
        if self.stop_reason:
            text += f", {self.stop_reason}"
        if self.failure:
            text += f"; reading its output failed: {self.failure}"
        return text

    # Output -----------------------------------------------------------------------------------------
    def _absorb(self, data: bytes) -> None:
        self.total += len(data)
        self._sink.write(data)
        self._unread += data
        excess = len(self._unread) - self._buffer_limit
        if excess > 0:
            # Oldest unread output goes first; the spill file still has it.
            del self._unread[:excess]
            self._dropped += excess
        self._last_output = anyio.current_time()
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def read(self, pattern: TextPattern | None, timeout: float) -> Reading:
        """Output since the last read. With `pattern`: wait until it appears in that output, the process
        ends, or `timeout`. Without: wait for output to appear and go quiet, the end, or `timeout`."""
        async with self._read_lock:
            now = anyio.current_time()
            deadline = now + timeout
            first_seen = now if self._unread else None
            matched = timed_out = False
            searched_total = -1  # `total` when the pattern was last searched for
            last_search = -_SEARCH_EVERY
            while True:
                changed = self._changed  # taken before looking, so no change slips between look and wait
                now = anyio.current_time()
                if self._unread and first_seen is None:
                    first_seen = now
                wake = deadline
                if pattern is not None and self._unread and searched_total != self.total:
                    # Searching up to 1 MB is not free: a chatty process is searched at most every 50 ms.
                    if now - last_search >= _SEARCH_EVERY or not self.running:
                        searched_total, last_search = self.total, now
                        # RE2 is linear but a megabyte still takes time; it drops the GIL in a thread.
                        text = self._text_so_far()
                        if await anyio.to_thread.run_sync(pattern.search, text):
                            matched = True
                            break
                    else:
                        wake = min(wake, last_search + _SEARCH_EVERY)
                if not self.running:
                    break
                if now >= deadline:
                    timed_out = True
                    break
                if pattern is None and first_seen is not None:
                    settle_by = min(self._last_output + _SETTLE, first_seen + _MAX_SETTLE)
                    if now >= settle_by:
                        break
                    wake = min(wake, settle_by)
                with anyio.move_on_after(wake - now):
                    await changed.wait()
            return self._take(matched, timed_out)

    def _text_so_far(self) -> str:
        return self._unread.decode("utf-8", errors="replace")

    def _take(self, matched: bool, timed_out: bool) -> Reading:
        text = self._decoder.decode(bytes(self._unread), final=not self.running)
        dropped = self._dropped
        self._unread.clear()
        self._dropped = 0
        return Reading(text, dropped, matched, timed_out)

    # Input ------------------------------------------------------------------------------------------
    async def write(self, data: bytes) -> int:
        """Type `data` into the terminal; returns the bytes written (all of them, or raises)."""
        if not self.running or self._master < 0:
            raise ToolFailure(f"{self.id} has {self.status()}; start it again with start_process")
        written = 0
        with anyio.move_on_after(_WRITE_TIMEOUT):
            while written < len(data):
                try:
                    written += os.write(self._master, data[written : written + 4096])
                except BlockingIOError:
                    try:
                        await anyio.wait_writable(self._master)
                    except anyio.ClosedResourceError:
                        raise ToolFailure(f"{self.id} exited while input was being written") from None
                except OSError as err:
                    raise ToolFailure(f"{self.id} no longer takes input: {err.strerror or err}") from err
        if written < len(data):
            raise ToolFailure(
                f"{self.id} took only {written} of {len(data)} bytes in {_WRITE_TIMEOUT:g} s: it is not "
                "reading its input; read_process shows what it is doing"
            )
        return written

    # Ending -----------------------------------------------------------------------------------------
    async def stop(self, reason: str) -> None:
        """Stop the whole group (SIGTERM, then SIGKILL after the grace period) and wait for the pump."""
        with anyio.CancelScope(shield=True):
            async with self._stop_lock:
                if self.running:
                    self.stop_reason = self.stop_reason or reason
                    await stop_group(self._job, self._grace)
                with anyio.move_on_after(5.0):
                    await self._finished.wait()
                if self.running:
                    # Something that escaped the group still holds the terminal: stop reading it anyway.
                    self._pump.cancel()
                    with anyio.move_on_after(5.0):
                        await self._finished.wait()

    async def _run(self) -> None:
        ending = Ending.EXITED
        try:
            ending = await pump_output(
                self._master,
                self._job,
                self._absorb,
                deadline=self._started + self.max_lifetime,
                leader_poll=_LEADER_POLL,
            )
        except Exception as err:  # reported in status(); the process is still stopped below
            self.failure = f"{err.__class__.__name__}: {err}"
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    if ending is Ending.TIMEOUT and self.stop_reason is None:
                        self.stop_reason = f"killed after max_lifetime {self.max_lifetime:g} s"
                    stopped = await stop_group(self._job, self._grace)
                    if stopped and ending is not Ending.TIMEOUT and self.stop_reason is None:
                        self.stop_reason = "processes it left in its group were stopped"
                    with contextlib.suppress(OSError):
                        drain(self._master, self._absorb)
                finally:
                    anyio.notify_closing(self._master)  # a write waiting on the terminal fails cleanly
                    os.close(self._master)
                    self._master = -1
                    self._job.close()
                    self._sink.close()
                    self._ended = anyio.current_time()
                    self._finished.set()
                    self._notify()


class ProcessRegistry:
    """The processes `start_process` started: capped in number, each in bounded memory and time.

    `max_lifetime` is the ceiling on any process's lifetime. Call `close()` when the server exits: it stops
    every process group still running.
    """

    def __init__(
        self,
        *,
        max_processes: int = DEFAULT_MAX_PROCESSES,
        buffer_limit: int = DEFAULT_BUFFER_LIMIT,
        max_lifetime: float = MAX_LIFETIME,
        keep_exited: int = DEFAULT_KEEP_EXITED,
        grace: float = 1.0,
    ) -> None:
        self.max_processes = max_processes
        self.buffer_limit = buffer_limit
        self.max_lifetime = max_lifetime
        self.keep_exited = keep_exited
        self.grace = grace
        self._processes: dict[str, ManagedProcess] = {}
        self._counter = 0
        self._closed = False

    @property
    def processes(self) -> list[ManagedProcess]:
        return list(self._processes.values())

    def get(self, ident: str) -> ManagedProcess:
        process = self._processes.get(ident)
        if process is None:
            known = ", ".join(self._processes) or "none"
            raise ToolFailure(f"no process {ident!r} (known: {known}); list_processes shows them")
        return process

    async def start(
        self,
        command: str,
        cwd: Path,
        env: Mapping[str, str],
        spill: Spill,
        max_lifetime: float | None = None,
        *,
        confinement: Confinement | None = None,
    ) -> ManagedProcess:
        if self._closed:
            raise ToolFailure("the server is shutting down; no new processes")
        running = sum(1 for p in self._processes.values() if p.running)
        if running >= self.max_processes:
            raise ToolFailure(
                f"{running} processes are already running (the limit is {self.max_processes}); "
                "stop one with kill_process first"
            )
        sink = SpillSink(spill, "process", SPILL_LIMIT, flush=True)
        try:
            job, master = _spawn_in_terminal(command, cwd, env, self.grace, confinement)
        except BaseException:
            sink.close()
            with contextlib.suppress(OSError):
                sink.path.unlink()
            raise
        self._counter += 1
        ident = f"p{self._counter}"
        process = ManagedProcess(
            ident,
            command,
            cwd,
            job,
            master,
            sink,
            buffer_limit=self.buffer_limit,
            max_lifetime=min(max_lifetime or DEFAULT_LIFETIME, self.max_lifetime),
            grace=self.grace,
            confinement=confinement,
        )
        self._processes[ident] = process
        self._forget_old_exited()
        return process

    async def kill(self, ident: str) -> ManagedProcess:
        """Stop a process (if still running) and forget it; the caller gets it to report its end."""
        process = self.get(ident)
        await process.stop("stopped by kill_process")
        self._processes.pop(ident, None)
        return process

    async def close(self) -> None:
        """Stop every process group (at server exit). Safe to call twice; shielded from cancellation."""
        self._closed = True
        with anyio.CancelScope(shield=True):
            async with anyio.create_task_group() as group:
                for process in self._processes.values():
                    group.start_soon(process.stop, "stopped at server shutdown")

    def _forget_old_exited(self) -> None:
        exited = [p for p in self._processes.values() if not p.running]
        for process in exited[: max(0, len(exited) - self.keep_exited)]:
            del self._processes[process.id]


def _spawn_in_terminal(
    command: str, cwd: Path, env: Mapping[str, str], grace: float, confinement: Confinement | None
) -> tuple[Job, int]:
    master, slave = os.openpty()
    try:
        with contextlib.suppress(OSError):
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", *_WINDOW, 0, 0))
        # A plain terminal type: programs then print text, not cursor movement and redraws.
        job = start_job(
            [SHELL, "-c", command],
            cwd=cwd,
            env={**env, "TERM": "dumb"},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            grace=grace,
            preexec_fn=_take_controlling_terminal,  # a single ioctl: safe with threads (see its docstring)
            confinement=confinement,
        )
    except OSError as err:
        os.close(master)
        raise ToolFailure(f"could not start {SHELL} in {cwd}: {err.strerror or err}") from err
    finally:
        # Only the child holds the slave now: when it (and its children) close it, reads see the end.
        os.close(slave)
    os.set_blocking(master, False)
    return job, master
