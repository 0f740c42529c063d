"""The bubblewrap command line for a confinement: namespaces, a read-only system, the roots, no secrets.

Inside, the command sees the system read-only, its roots (read-write in `workspace-write`), a private
/tmp and /dev/shm of bounded size, an empty /run (no system or session sockets: D-Bus, systemd, Docker,
SSH and GPG agents), a fresh /proc of its own PID namespace (the server and its environment are not in
it), no network unless allowed, and none of the secrets (`secrets.py`): an empty read-only folder, or
/dev/null, over each. It runs as a user without capabilities in a user namespace of its own, where no
further user namespace can be made, under the seccomp filter of `seccomp.py`.

No `--die-with-parent`: it would SIGKILL the whole sandbox the moment the command's shell exits (bwrap
exits then, and its PID 1 with it), leaving no grace to what the shell left running and no way to tell
the model it left something. The supervisor above bwrap already ends the whole tree (whatever the PID
namespace) when stopped or when the server dies, and bwrap itself gets SIGKILL if the supervisor dies.

The order of the mounts matters: /tmp and the secrets are covered first, the roots bound after them, so
a root under /tmp (or a secret inside a root) stays what the user opened.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

from mcp_tools.sandbox.policy import Confinement
from mcp_tools.sandbox.secrets import hidden_paths

__all__ = ["PRIVATE_SHM_SIZE", "PRIVATE_TMP_SIZE", "bwrap_arguments", "bwrap_path", "own_installation"]
# Filling /tmp or /dev/shm must end in ENOSPC, not in the machine's memory running out.
PRIVATE_TMP_SIZE = 256 * 1024 * 1024
PRIVATE_SHM_SIZE = 64 * 1024 * 1024


@functools.cache
def bwrap_path() -> str | None:
    """bwrap's full path (the supervisor execs it without a PATH search), or None when not installed."""
    found = shutil.which("bwrap")
    return os.path.realpath(found) if found else None


def _resolver_folder() -> Path | None:
    """Where /etc/resolv.conf really lives when that is under /run (systemd-resolved): name resolution
    needs it once the network is allowed."""
    real = Path(os.path.realpath("/etc/resolv.conf"))
    if real.parts[:2] == ("/", "run") and real.exists():
        return real.parent
    return None


# Folders the sandbox replaces with its own empty ones: anything the host keeps there is out of sight.
_REPLACED = ("/tmp", "/dev/shm", "/run")


def own_installation() -> list[str]:
    """m2bridge's own Python and code, when they lie in a folder the sandbox replaces (a checkout or a
    virtual environment under /tmp): bound back read-only, or a command could not run the interpreter
    the server runs on (`sys.executable`), nor import m2bridge from an editable install. They hold no
    secret of the user's; the rest of those folders stays out of sight."""
    candidates = {
        sys.prefix,
        sys.base_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        str(Path(__file__).resolve().parents[2]),  # the checkout of an editable install, or site-packages
    }
    inside = [
        os.path.realpath(c) for c in candidates if any(_is_within(os.path.realpath(c), r) for r in _REPLACED)
    ]
    # A folder inside another one already listed adds nothing.
    return sorted(f for f in set(inside) if not any(f != o and _is_within(f, o) for o in inside))


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def bwrap_arguments(
    confinement: Confinement, cwd: Path, *, seccomp_fd: int | None, disable_userns: bool = True
) -> list[str]:
    """`bwrap ...` up to and including `--`; the program follows."""
    args = [bwrap_path() or "bwrap", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--cap-drop", "ALL", "--hostname", "sandbox"]
    if disable_userns:
        args.append("--disable-userns")
    if not confinement.network:
        args.append("--unshare-net")
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    args += ["--size", str(PRIVATE_TMP_SIZE), "--tmpfs", "/tmp"]
    args += ["--size", str(PRIVATE_SHM_SIZE), "--tmpfs", "/dev/shm"]
    # Empty folders are made read-only last: a root inside one needs its mount point made first.
    emptied: list[str] = []
    if os.path.isdir("/run"):
        args += ["--tmpfs", "/run"]
        emptied.append("/run")
        resolver = _resolver_folder()
        if confinement.network and resolver is not None:
            args += ["--ro-bind", str(resolver), str(resolver)]
    for path in hidden_paths((*confinement.roots, *confinement.readable)):
        if path.is_dir():
            args += ["--perms", "0700", "--tmpfs", str(path)]
            emptied.append(str(path))
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    bind = "--bind" if confinement.writes_roots else "--ro-bind"
    for root in confinement.roots:
        args += [bind, str(root), str(root)]
    for folder in confinement.readable:
        args += ["--ro-bind", str(folder), str(folder)]
    for folder in own_installation():
        args += ["--ro-bind", folder, folder]
    for folder in emptied:
        args += ["--remount-ro", folder]
    args += ["--chdir", str(cwd)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args.append("--")
    return args
