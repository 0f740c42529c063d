"""How a program is started inside a confinement: the command line in front of it, its environment,
the descriptors it needs, and what to clean up once it is gone.

Linux: `supervisor -> bwrap -> env --default-signal=... -> program`. The supervisor (outside, it must
reap and kill the whole tree) starts bwrap with the terminal's signals (Ctrl-C, Ctrl-Z, SIGTERM)
ignored: bwrap is in the command's process group, and if Ctrl-C killed it, `--die-with-parent` would
take the whole sandbox with it, where the program only meant to interrupt a line. `env` restores those
signals to their defaults for the program. There is no `--new-session`: the program keeps the
pseudo-terminal as its controlling terminal (Ctrl-C, job control); the seccomp filter refuses TIOCSTI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mcp_tools.sandbox.bubblewrap import bwrap_arguments
from mcp_tools.sandbox.policy import Confinement, SandboxMode
from mcp_tools.sandbox.seatbelt import seatbelt_arguments
from mcp_tools.sandbox.seccomp import filter_program, native_architecture
from mcp_tools.sandbox.secrets import hidden_paths
from mcp_tools.sandbox.support import RESET_SIGNALS, bubblewrap_features, sandbox_support

__all__ = ["Launch", "SandboxUnavailable", "prepare_launch"]


class SandboxUnavailable(OSError):
    """A sandboxed start was asked for where no sandbox works."""


@dataclass
class Launch:
    """What `start_job` adds to a program to run it confined."""

    prefix: list[str] = field(default_factory=list[str])
    env: dict[str, str] = field(default_factory=dict[str, str])
    pass_fds: tuple[int, ...] = ()
    ignore_signals: bool = False  # the launcher must outlive the terminal's signals (see module doc)
    private_tmp: Path | None = None  # made for this program (macOS), removed by `finished`

    def spawned(self) -> None:
        """The program started (or could not): the descriptors it was handed are no longer ours to keep."""
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.pass_fds = ()

    def finished(self) -> None:
        """The program and everything it started are gone."""
        self.spawned()
        if self.private_tmp is not None:
            shutil.rmtree(self.private_tmp, ignore_errors=True)
            self.private_tmp = None


def _seccomp_fd() -> int | None:
    arch = native_architecture()
    if arch is None:
        return None
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, filter_program(arch))  # a few hundred bytes: the pipe holds them
    finally:
        os.close(write_fd)
    return read_fd


def prepare_launch(confinement: Confinement, cwd: Path) -> Launch:
    """The launch for `confinement`; nothing to add when it is off. Raises SandboxUnavailable."""
    if confinement.mode is SandboxMode.OFF:
        return Launch()
    support = sandbox_support()
    if not support.available:
        raise SandboxUnavailable(f"no sandbox: {support.problem}")
    if sys.platform == "darwin":
        tmp = Path(tempfile.mkdtemp(prefix="m2bridge-sandbox-"))
        hidden = hidden_paths((*confinement.roots, *confinement.readable))
        prefix = seatbelt_arguments(confinement, hidden, Path(os.path.realpath(tmp)))
        return Launch(prefix, {"TMPDIR": str(tmp)}, private_tmp=tmp)
    features = bubblewrap_features()
    assert features is not None  # available on Linux means the probe succeeded
    seccomp = _seccomp_fd() if features.seccomp else None
    prefix = bwrap_arguments(confinement, cwd, seccomp_fd=seccomp, disable_userns=features.disable_userns)
    if features.env is not None:
        prefix += [features.env, f"--default-signal={RESET_SIGNALS}"]
    fds = (seccomp,) if seccomp is not None else ()
    return Launch(prefix, {"TMPDIR": "/tmp"}, fds, ignore_signals=features.env is not None)
