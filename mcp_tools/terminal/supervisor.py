"""The supervisor every command runs under on Linux: it ends everything the command started, whatever it did.

Run as `python -I -S supervisor.py PARENT LIFELINE STATUS GRACE DEATHSIG IGNORE -- PROGRAM ARGS...` by
`mcp_tools.terminal.jobs`, never imported by the server (stdlib only, so `-S` keeps it fast). It is the
session and group leader the server signals; it starts PROGRAM as its only child, in its group.

Why a process of its own: a command's descendants can leave its process group (`setsid`, a daemon's double
fork), and the server can be SIGKILLed, which no code of the server survives. The supervisor is a child
subreaper (PR_SET_CHILD_SUBREAPER), so every orphan among the command's descendants re-parents to it
instead of to init: its process subtree *is* the command, whatever sessions or groups the processes made.
It stops that whole subtree (SIGTERM, then SIGKILL after GRACE) when:
- it gets SIGTERM or SIGHUP (the server's `stop_group`, or the terminal hanging up);
- the server dies: LIFELINE is the read end of a pipe whose write end only the server holds, so it reads
  end-of-file when the server process is gone, however it died and whichever of its threads started us.
  With DEATHSIG=1 (the command was started from the server's main thread) PR_SET_PDEATHSIG adds SIGTERM.
  PR_SET_PDEATHSIG alone would not do: it fires when the *thread* that forked us exits.
It reports PROGRAM's exit on STATUS (`<returncode>\\n`, negative for a signal) as soon as it happens, then
stays while anything of the command is left (the server decides when leftovers are stopped), and exits
with PROGRAM's status once its subtree is empty.

Ctrl-C and Ctrl-Z typed into a terminal reach the whole foreground group, us included: we only note them,
PROGRAM acts on them as it would alone. With IGNORE=1 PROGRAM starts with them (and SIGTERM) ignored: it
is a sandbox launcher that must outlive them and restores them for the command it runs (see
`mcp_tools.sandbox.launch`); it gets SIGKILL if we die.
"""

from __future__ import annotations

# `_signal`, the C module: `signal` would import enum, which costs more start-up time than the rest
# together, and this runs before every command. For the same reason there is no contextlib here (SIM105).
import _signal as signal  # pyright: ignore[reportMissingModuleSource] - C module: typings/_signal.pyi
import ctypes
import os
import select
import sys
import time

__all__ = ["descendants", "main"]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# Signals we wait for through the wake-up pipe; their handlers do nothing, and exec resets them in PROGRAM.
_WATCHED = (
    signal.SIGCHLD,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGTTOU,
)
_STOPPING = (signal.SIGTERM, signal.SIGHUP)
# What a sandbox launcher (IGNORE=1) is started ignoring: the terminal's signals, and the SIGTERM that
# gives the command its grace period (bubblewrap dying of it would SIGKILL the sandbox at once).
_LAUNCHER_IGNORES = (
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGTTOU,
    signal.SIGTERM,
)
# Rounds of "find what is left, SIGKILL it" before giving up on a process that keeps forking.
_KILL_ROUNDS = 200


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _initial_environment() -> dict[bytes, bytes]:
    """The environment the server gave us, byte for byte.

    Python's start-up may add LC_CTYPE (PEP 538 locale coercion) to os.environ; /proc/self/environ still
    holds the block we were started with, which is what PROGRAM must get.
    """
    try:
        with open("/proc/self/environ", "rb") as file:
            block = file.read()
    except OSError:
        return dict(os.environb)
    env: dict[bytes, bytes] = {}
    for item in block.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep and name:
            env[name] = value
    return env


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return int(data[data.rindex(b")") + 2 :].split()[1])


def descendants(root: int) -> dict[int, int]:
    """Every process below `root` in the process tree, mapped to its parent."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            parent = _parent_of(int(name))
            if parent is not None:
                children.setdefault(parent, []).append(int(name))
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        parent = stack.pop()
        for child in children.get(parent, ()):
            if child not in found:
                found[child] = parent
                stack.append(child)
    return found


def _signal_tree(root: int, sig: int) -> int:
    """Send `sig` to every process below `root`; how many were found.

    Through a pidfd where the kernel has them, after checking the parent again: a pid that exited and was
    reused by a stranger between the look and the signal is not hit.
    """
    tree = descendants(root)
    for pid, parent in tree.items():
        try:
            handle = os.pidfd_open(pid)
        except (OSError, AttributeError):
            try:  # noqa: SIM105
                os.kill(pid, sig)
            except OSError:
                pass
            continue
        try:
            if _parent_of(pid) in (parent, root):
                signal.pidfd_send_signal(handle, sig)
        except OSError:
            pass
        finally:
            os.close(handle)
    return len(tree)


class _Supervisor:
    def __init__(self, status_fd: int, wake_fd: int, lifeline: int) -> None:
        self.status_fd = status_fd
        self.wake_fd = wake_fd
        self.lifeline = lifeline
        self.child = -1
        self.code: int | None = None  # PROGRAM's return code once reaped

    def start(self, program: list[str], env: dict[bytes, bytes], ignore: bool) -> None:
        self.child = os.fork()
        if self.child == 0:
            try:
                # Python ignores these; programs expect the default (a pipe reader going away ends `yes`).
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
                if ignore:
                    for sig in _LAUNCHER_IGNORES:
                        signal.signal(sig, signal.SIG_IGN)
                    # It ignores SIGTERM, so if we are killed outright it must not outlive us.
                    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
                os.execve(program[0], program, env)
            finally:
                os._exit(127)

    def reap(self) -> bool:
        """Reap every child that exited (ours or adopted); True while any child is left."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.child:
                self.code = os.waitstatus_to_exitcode(status)
                try:
                    os.write(self.status_fd, f"{self.code}\n".encode())
                    os.close(self.status_fd)
                except OSError:
                    pass

    def wait(self, timeout: float | None) -> set[int]:
        """Wait for a signal, the server's death or `timeout`; the signals seen (0: the server died)."""
        watch = [self.wake_fd] if self.lifeline < 0 else [self.wake_fd, self.lifeline]
        try:
            ready, _, _ = select.select(watch, [], [], timeout)
        except InterruptedError:
            return set()
        got: set[int] = set()
        if self.wake_fd in ready:
            try:  # noqa: SIM105
                got.update(os.read(self.wake_fd, 256))
            except BlockingIOError:
                pass
        if self.lifeline in ready:
            try:
                if os.read(self.lifeline, 1) == b"":
                    got.add(0)
            except OSError:
                pass
        return got

    def stop_all(self, grace: float) -> None:
        """SIGTERM the whole subtree, wait up to `grace` for it to end, SIGKILL what is left, reap it all."""
        me = os.getpid()
        _signal_tree(me, signal.SIGTERM)
        _signal_tree(me, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
        deadline = time.monotonic() + grace
        while self.reap() and time.monotonic() < deadline:
            self.wait(max(0.0, deadline - time.monotonic()))
        for _ in range(_KILL_ROUNDS):
            found = _signal_tree(me, signal.SIGKILL)
            left = self.reap()
            if not found and not left:
                return
            if left:
                self.wait(0.02)  # a killed parent's children re-parent to us a moment later

    def run(self, grace: float) -> None:
        while True:
            left = self.reap()
            if self.code is not None and not left:
                return
            got = self.wait(None)
            if 0 in got or any(sig in got for sig in _STOPPING):
                self.stop_all(grace)
                return


def _exit_like(code: int | None) -> None:
    """Exit as PROGRAM did: the same exit code, or killed by the same signal."""
    if code is None:
        os._exit(125)
    if code >= 0:
        os._exit(code)
    sig = -code
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file of ours for PROGRAM's crash
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
    except (OSError, ValueError):
        pass
    os._exit(128 + sig)


def main(argv: list[str]) -> None:
    parent, lifeline, status_fd = int(argv[1]), int(argv[2]), int(argv[3])
    grace, deathsig, ignore = float(argv[4]), argv[5] == "1", argv[6] == "1"
    program = argv[8:] if argv[7] == "--" else argv[7:]
    env = _initial_environment()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    for sig in _WATCHED:
        signal.signal(sig, lambda _signum, _frame: None)
    for fd in (lifeline, status_fd):
        os.set_inheritable(fd, False)  # PROGRAM must not hold the server's lifeline open
    os.set_blocking(lifeline, False)
    # Without these (a kernel or sandbox refusing prctl) the command still runs, as contained as the
    # server's group kill alone makes it.
    try:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        if deathsig:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    supervisor = _Supervisor(status_fd, wake_r, lifeline)
    if os.getppid() != parent:  # the server died before we could watch it: start nothing
        os._exit(125)
    supervisor.start(program, env, ignore)
    supervisor.run(grace)
    _exit_like(supervisor.code)


if __name__ == "__main__":
    main(sys.argv)
