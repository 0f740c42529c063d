"""Whether this machine can sandbox commands, probed once per process, and what that means at start-up.

On Linux the probe runs bubblewrap once with the very command line commands get (namespaces, mounts,
seccomp filter), so "available" means "works here", not "is installed".
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mcp_tools.sandbox.bubblewrap import bwrap_arguments, bwrap_path
from mcp_tools.sandbox.policy import Confinement, SandboxMode, SandboxPolicy
from mcp_tools.sandbox.seatbelt import SANDBOX_EXEC
from mcp_tools.sandbox.seccomp import filter_program, native_architecture

__all__ = [
    "RESET_SIGNALS",
    "BubblewrapFeatures",
    "SandboxSupport",
    "bubblewrap_features",
    "effective_mode",
    "probe_again",
    "sandbox_support",
    "startup_notice",
]

_PROBE_TIMEOUT = 10.0
_INSTALL = "sudo apt-get install bubblewrap (Debian, Ubuntu; sudo dnf install bubblewrap on Fedora)"
# Signals the terminal sends a whole group; bubblewrap itself must outlive them (see `launch.py`).
RESET_SIGNALS = "INT,QUIT,TSTP,TTIN,TTOU,TERM"


@dataclass(frozen=True)
class SandboxSupport:
    available: bool
    mechanism: str | None  # "bubblewrap" | "seatbelt" | None
    problem: str | None  # why not, one line, e.g. "bwrap is not installed"
    fix: str | None  # the command that fixes it, e.g. "sudo apt-get install bubblewrap"


@dataclass(frozen=True)
class BubblewrapFeatures:
    """What the probe found this bubblewrap and system can do beyond the basics."""

    disable_userns: bool  # bwrap >= 0.8: no user namespace can be made inside
    seccomp: bool  # a filter for this architecture exists
    env: str | None  # an `env` with --default-signal (GNU coreutils >= 8.31), to restore the signals


def _namespace_fix() -> str:
    if Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").exists():
        return (
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap)"
        )
    if Path("/proc/sys/kernel/unprivileged_userns_clone").exists():
        return "sudo sysctl -w kernel.unprivileged_userns_clone=1"
    return "sudo sysctl -w user.max_user_namespaces=15000"


def _env_with_default_signal() -> str | None:
    env = shutil.which("env")
    if env is None:
        return None
    try:
        done = subprocess.run(
            [env, f"--default-signal={RESET_SIGNALS}", "true"], capture_output=True, timeout=_PROBE_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.realpath(env) if done.returncode == 0 else None


def _run_probe(disable_userns: bool, seccomp: bytes | None) -> subprocess.CompletedProcess[bytes]:
    fds: tuple[int, ...] = ()
    read_fd = None
    if seccomp is not None:
        read_fd, write_fd = os.pipe()
        os.write(write_fd, seccomp)
        os.close(write_fd)
        fds = (read_fd,)
    nothing = Confinement(SandboxMode.WORKSPACE_WRITE, network=False, roots=())
    argv = bwrap_arguments(nothing, Path("/"), seccomp_fd=read_fd, disable_userns=disable_userns)
    try:
        return subprocess.run(
            [*argv, "/bin/sh", "-c", "true"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if read_fd is not None:
            os.close(read_fd)


@functools.cache
def _probe_linux() -> tuple[SandboxSupport, BubblewrapFeatures | None]:
    if bwrap_path() is None:
        return SandboxSupport(False, None, "bwrap (bubblewrap) is not installed", _INSTALL), None
    arch = native_architecture()
    seccomp = filter_program(arch) if arch is not None else None
    try:
        done = _run_probe(True, seccomp)
        disable_userns = done.returncode == 0
        if not disable_userns:  # an older bubblewrap: the seccomp filter still refuses new namespaces
            done = _run_probe(False, seccomp)
    except (OSError, subprocess.SubprocessError) as err:
        return SandboxSupport(False, None, f"bwrap could not be run: {err}", _INSTALL), None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = said[-1] if said else f"exit code {done.returncode}"
        return SandboxSupport(
            False, None, f"bwrap cannot make a sandbox here ({why})", _namespace_fix()
        ), None
    features = BubblewrapFeatures(disable_userns, seccomp is not None, _env_with_default_signal())
    return SandboxSupport(True, "bubblewrap", None, None), features


def bubblewrap_features() -> BubblewrapFeatures | None:
    """The probe's findings on Linux; None where bubblewrap cannot sandbox."""
    return _probe_linux()[1] if sys.platform.startswith("linux") else None


@functools.cache
def sandbox_support() -> SandboxSupport:
    """Whether commands can be sandboxed here; probed once per process (runs bwrap once), cached."""
    if sys.platform.startswith("linux"):
        return _probe_linux()[0]
    if sys.platform == "darwin":
        if os.access(SANDBOX_EXEC, os.X_OK):
            return SandboxSupport(True, "seatbelt", None, None)
        return SandboxSupport(
            False, None, f"{SANDBOX_EXEC} is missing", "reinstall macOS's command line tools"
        )
    return SandboxSupport(False, None, f"no sandbox for {sys.platform}", None)


def probe_again() -> None:
    """Forget what the probe found, so the next question probes the machine again (bubblewrap was
    installed or removed since, or PATH changed)."""
    bwrap_path.cache_clear()
    _probe_linux.cache_clear()
    sandbox_support.cache_clear()


def effective_mode(policy: SandboxPolicy, support: SandboxSupport) -> SandboxMode | None:
    """The mode commands run under; None: the process tools must be absent (no sandbox, no fallback)."""
    if policy.mode is SandboxMode.OFF:
        return SandboxMode.OFF
    if support.available:
        return policy.mode
    return SandboxMode.OFF if policy.allow_unsandboxed else None


def startup_notice(policy: SandboxPolicy, support: SandboxSupport) -> str | None:
    """The one line said at start-up when the sandbox is off (chosen, or by allowed fallback) or missing."""
    if policy.mode is SandboxMode.OFF:
        return (
            "m2bridge: the sandbox is off (--sandbox off): commands run as you, "
            "with all your files and the network."
        )
    if support.available:
        return None
    fix = f" Fix: {support.fix}." if support.fix else ""
    if policy.allow_unsandboxed:
        return (
            f"m2bridge: no sandbox on this machine: {support.problem}; commands run unsandboxed "
            f'(sandbox_fallback = "off").{fix}'
        )
    return (
        f"m2bridge: no sandbox on this machine: {support.problem}; the process tools are off.{fix} "
        'Or set sandbox_fallback = "off" in the config to run commands unsandboxed.'
    )
