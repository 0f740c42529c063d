"""Keep this process's memory and environment out of reach of the commands it runs (Linux).

The API key is removed from every child's environment, but a child running as the same user could still
read ours: `/proc/<our pid>/environ` shows the environment this process *started* with (deleting the
variable from `os.environ` later changes nothing there), and `/proc/<pid>/mem` its memory. Marking the
process non-dumpable (PR_SET_DUMPABLE 0) makes the kernel refuse both, and ptrace, to processes without
CAP_SYS_PTRACE (and, for environ, CAP_SYS_ADMIN): every ordinary process of the same user. It also means no
core file (which would hold the key), and that debuggers and profilers cannot attach without root.

What it does not do: a process running as root keeps those capabilities, so a server run as root cannot
hide anything from its commands; and files the user can read (a shell profile or client config holding
the key) stay readable. Children are dumpable again after their exec, as usual. macOS has no equivalent
call (there, `ps eww` shows only processes of the same user, and the same-user case stays open).
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["harden_process", "is_dumpable"]

_PR_GET_DUMPABLE = 3
_PR_SET_DUMPABLE = 4


def _prctl(option: int, value: int = 0) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result: int = libc.prctl(option, value, 0, 0, 0)
    if result < 0:
        raise OSError(ctypes.get_errno(), "prctl failed")
    return result


def harden_process() -> bool:
    """Mark this process non-dumpable where the platform allows; True when it is now protected.

    Call it at the start of every long-running surface that runs tools (mcp, lsp, chat). Safe to call
    more than once; it never raises.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        _prctl(_PR_SET_DUMPABLE, 0)
    except (OSError, AttributeError):
        return False
    return is_dumpable() is False


def is_dumpable() -> bool | None:
    """Whether this process is dumpable; None where that cannot be asked (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _prctl(_PR_GET_DUMPABLE) != 0
    except (OSError, AttributeError):
        return None
