"""The line added to a failed command's result when the sandbox is why it failed.

Only when the command exited non-zero and its output shows a sign of a sandbox wall: a read-only file
system (a write outside what the mode allows), a network or name resolution failure (no network), or a
hidden path named in an error. The line names the policy, what was refused, and what would allow it, so
the model can ask for more and the user can decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from mcp_tools.sandbox.policy import Confinement, SandboxMode

__all__ = ["denial_note"]

_WRITE_SIGNS = re.compile(r"Read-only file system|EROFS")
_NETWORK_SIGNS = re.compile(
    r"Network is unreachable|ENETUNREACH|Temporary failure in name resolution|EAI_AGAIN|"
    r"Could not resolve host|Name or service not known|nodename nor servname|getaddrinfo|"
    r"No address associated with hostname|Could not resolve|Failed to establish a new connection",
    re.IGNORECASE,
)
_OFF = "or the user can restart m2bridge with --sandbox off"


def denial_note(
    output: str, returncode: int | None, confinement: Confinement, hidden: Sequence[Path] = ()
) -> str | None:
    """One line saying which wall of the sandbox the command hit and what would allow it, or None."""
    if confinement.mode is SandboxMode.OFF or returncode in (None, 0):
        return None
    policy = f"[sandbox {confinement.mode.value}"
    if not confinement.network and _NETWORK_SIGNS.search(output):
        return (
            f"{policy}: this command has no network. Run it again with `network: true` if it needs it "
            f"(the user approves that call), or the user can start m2bridge with --allow-network, {_OFF}.]"
        )
    if _WRITE_SIGNS.search(output):
        where = (
            "writes only inside the workspace roots and /tmp"
            if confinement.writes_roots
            else "writes nowhere but /tmp (the roots are read-only)"
        )
        wider = "--sandbox workspace-write to write in the roots, " if not confinement.writes_roots else ""
        return (
            f"{policy}: a write was refused; this sandbox allows {where}. The user can restart m2bridge "
            f"with {wider}{_OFF.removeprefix('or the user can restart m2bridge with ')}.]"
        )
    named = [str(path) for path in hidden if str(path) in output]
    if named:
        return (
            f"{policy}: {named[0]} is hidden from commands (credentials and m2bridge's own data); "
            f"the user can put it in a root, {_OFF}.]"
        )
    return None
