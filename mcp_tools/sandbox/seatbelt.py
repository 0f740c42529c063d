"""The macOS Seatbelt profile (`sandbox-exec -p PROFILE -D NAME=VALUE ...`) for a confinement.

The same meaning as on Linux: writes only inside the roots (in `workspace-write`), a private temporary
folder and the terminal devices; no network unless allowed; the secrets unreadable; no signals to, or
inspection of, processes outside the sandbox. Paths reach the profile as parameters (`(param "ROOT0")`),
never spliced into its text, so no folder name can change its meaning.

Untested on a Mac in this project's CI: only the profile text is tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mcp_tools.sandbox.policy import Confinement

__all__ = ["SANDBOX_EXEC", "seatbelt_arguments", "seatbelt_profile"]

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

_BASE = """(version 1)
(allow default)
(deny process-info* (target others))
(deny signal (target others))
(deny file-write*)
(allow file-write*
    (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (literal "/dev/dtracehelper")
    (regex #"^/dev/ttys[0-9]+$") (regex #"^/dev/fd/[0-9]+$")
    (subpath (param "TMP")))"""


def _subpaths(prefix: str, count: int) -> str:
    return " ".join(f'(subpath (param "{prefix}{i}"))' for i in range(count))


def seatbelt_profile(confinement: Confinement, hidden: Sequence[Path]) -> str:
    """The profile text; its parameters are those `seatbelt_arguments` passes."""
    lines = [_BASE]
    if confinement.writes_roots and confinement.roots:
        lines.append(f"(allow file-write* {_subpaths('ROOT', len(confinement.roots))})")
    if hidden:
        lines.append(f"(deny file-read* file-write* {_subpaths('HIDDEN', len(hidden))})")
    if not confinement.network:
        lines.append("(deny network*)")
    return "\n".join(lines) + "\n"


def seatbelt_arguments(confinement: Confinement, hidden: Sequence[Path], tmp: Path) -> list[str]:
    """`sandbox-exec -p PROFILE -D NAME=VALUE ...`; the program follows."""
    args = [SANDBOX_EXEC, "-p", seatbelt_profile(confinement, hidden), "-D", f"TMP={tmp}"]
    for i, root in enumerate(confinement.roots):
        args += ["-D", f"ROOT{i}={root}"]
    for i, path in enumerate(hidden):
        args += ["-D", f"HIDDEN{i}={path}"]
    return args
