"""Starting a command so that nothing it starts outlives it: under the supervisor on Linux, plainly elsewhere,
and inside the sandbox its confinement asks for.

`start_job` is the one launcher of every process tool: the sandbox (`mcp_tools.sandbox`) is put between
the supervisor and the command here and nowhere else (`supervisor -> bwrap -> command` on Linux).

A `Job` is what the rest of the terminal package holds: the process the server signals and reaps (the
supervisor, or the shell itself where there is none), whether the command's own shell has exited, and
with what code. See `supervisor.py` for what the supervisor guarantees and why it is a process of its own.

The server never becomes a subreaper itself: its children are reaped one pid at a time (`Popen.poll()`
here, asyncio's watcher for git and ripgrep), and a `waitpid(-1)` for adopted orphans would steal their
exit statuses.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from mcp_tools.sandbox import Confinement, Launch, prepare_launch

__all__ = ["SUPERVISOR", "Job", "start_job", "supervised"]

SUPERVISOR = Path(__file__).with_name("supervisor.py")

# The pipe whose end of file tells every supervisor that this server process is gone. Both ends stay open
# for the life of the process; the write end is close-on-exec, so no command can hold it open.
_lifeline: tuple[int, int] | None = None
_lifeline_lock = threading.Lock()


def supervised() -> bool:
    """Whether commands run under the supervisor: Linux (it needs /proc and prctl) and a known interpreter."""
    linux = sys.platform.startswith("linux") and os.path.isdir("/proc/self")
    return linux and bool(sys.executable) and SUPERVISOR.is_file()


def _lifeline_fd() -> int:
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None:
            _lifeline = os.pipe()
        return _lifeline[0]


class Job:
    """A started command: the process to signal and reap, and its shell's exit as reported."""

    def __init__(
        self, popen: subprocess.Popen[bytes], status_fd: int | None, launch: Launch | None = None
    ) -> None:
        self.popen = popen
        self.launch = launch or Launch()
        self._status_fd = status_fd
        self._status = b""
        self._code: int | None = None

    @property
    def pid(self) -> int:
        """The process (and group, and session) the server signals."""
        return self.popen.pid

    def finished(self) -> bool:
        """The signalled process exited and was reaped: nothing of the command is left (when supervised)."""
        return self.popen.poll() is not None

    def leader_exited(self) -> bool:
        """The command's shell exited (its children may still run)."""
        if self._code is not None:
            return True
        if self._status_fd is not None:
            self._read_status()
            if self._code is not None:
                return True
        return self.finished()

    @property
    def returncode(self) -> int | None:
        """The shell's return code (negative: killed by that signal), once known."""
        if self._code is None and self._status_fd is not None:
            self._read_status()
        return self._code if self._code is not None else self.popen.returncode

    def _read_status(self) -> None:
        assert self._status_fd is not None
        with contextlib.suppress(BlockingIOError, OSError):
            self._status += os.read(self._status_fd, 64)
        line, newline, _ = self._status.partition(b"\n")
        if newline:
            with contextlib.suppress(ValueError):
                self._code = int(line)

    def close(self) -> None:
        """Release the status pipe and the sandbox's leftovers (after the process was reaped)."""
        if self._status_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._status_fd)
            self._status_fd = None
        self.launch.finished()


def start_job(
    program: list[str],
    *,
    cwd: os.PathLike[str] | str,
    env: Mapping[str, str],
    stdin: IO[bytes] | int,
    stdout: int,
    stderr: int,
    grace: float,
    preexec_fn: Callable[[], None] | None = None,
    confinement: Confinement | None = None,
) -> Job:
    """Start `program` in a new session, under the supervisor where there is one (see `supervised`),
    confined as `confinement` says (None: unconfined, for callers that are not process tools).

    `grace` is how long the supervisor gives the command's processes between SIGTERM and SIGKILL.
    Raises OSError when it cannot be started (`SandboxUnavailable` when the sandbox cannot be made).
    """
    launch = prepare_launch(confinement, Path(cwd)) if confinement is not None else Launch()
    try:
        return _start(launch, [*launch.prefix, *program], cwd, {**env, **launch.env}, stdin, stdout,
                      stderr, grace, preexec_fn)  # fmt: skip
    except BaseException:
        launch.finished()
        raise
    finally:
        launch.spawned()


def _start(
    launch: Launch,
    program: list[str],
    cwd: os.PathLike[str] | str,
    env: Mapping[str, str],
    stdin: IO[bytes] | int,
    stdout: int,
    stderr: int,
    grace: float,
    preexec_fn: Callable[[], None] | None,
) -> Job:
    if not supervised():
        popen = subprocess.Popen(
            program, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=dict(env),
            start_new_session=True, close_fds=True, pass_fds=launch.pass_fds, preexec_fn=preexec_fn,
        )  # fmt: skip
        return Job(popen, None, launch)
    lifeline = _lifeline_fd()
    status_r, status_w = os.pipe()
    # PR_SET_PDEATHSIG fires when the forking *thread* ends: ask for it only from the main thread.
    deathsig = "1" if threading.current_thread() is threading.main_thread() else "0"
    argv = [
        sys.executable, "-I", "-S", str(SUPERVISOR),
        str(os.getpid()), str(lifeline), str(status_w), f"{grace:g}", deathsig,
        "1" if launch.ignore_signals else "0", "--", *program,
    ]  # fmt: skip
    try:
        popen = subprocess.Popen(
            argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=dict(env), start_new_session=True,
            close_fds=True, pass_fds=(lifeline, status_w, *launch.pass_fds), preexec_fn=preexec_fn,
        )  # fmt: skip
    except BaseException:
        os.close(status_r)
        raise
    finally:
        os.close(status_w)
    os.set_blocking(status_r, False)
    return Job(popen, status_r, launch)
