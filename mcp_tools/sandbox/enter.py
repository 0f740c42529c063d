"""Enter a confinement, then become the program: the sandbox for a command someone else starts.

The editor's terminal (ACP `terminal/create`) runs whatever command line it is given, outside the server's
supervisor. So the server gives it this one:

    python -I -m mcp_tools.sandbox.enter CONFINEMENT_JSON -- /bin/sh -c COMMAND

which builds the same launch the process tools use (`prepare_launch`: bubblewrap with its seccomp filter
on Linux, Seatbelt on macOS), keeps the seccomp filter's descriptor open across exec, ignores the
terminal's signals as the supervisor does for a launcher (see `mcp_tools.sandbox.launch`; SIGTERM aside),
makes bubblewrap take the sandbox down with it when it dies (there is no supervisor to), drops the secret
variables from whatever environment the editor added, and execs it. `-I`: the folder it starts in
is the user's project, and nothing there may be imported in its place.

Exit status 126, with the reason on stderr, when no sandbox can be made: the command never runs unconfined.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp_tools.sandbox.launch import SandboxUnavailable, prepare_launch
from mcp_tools.sandbox.policy import Confinement, SandboxMode
from mcp_tools.tool_context import child_environment

__all__ = ["CANNOT_ENTER", "enter_command", "main"]

CANNOT_ENTER = 126  # the shell's "found but could not run"

# What the launcher ignores: Ctrl-C and job control typed in the terminal reach the whole group, bubblewrap
# included; `env --default-signal` restores them for the command. Unlike under the supervisor, SIGTERM is
# not ignored: no supervisor gives a grace period here, and an editor stopping the command may send it to
# the launcher alone, which must then end (taking the sandbox with it, see `_DIE_WITH_PARENT`).
_LAUNCHER_IGNORES = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)
# Under the supervisor bubblewrap runs without it (see `bubblewrap.py`: the supervisor ends the tree). Here
# nothing else would: an editor killing only the process it started (bubblewrap) would leave the sandbox
# and the command running. With it they die with bubblewrap, and with the editor's terminal.
_DIE_WITH_PARENT = "--die-with-parent"


def enter_command(confinement: Confinement, cwd: Path, program: Sequence[str]) -> list[str]:
    """The command line that runs `program` in `cwd` inside `confinement`, with this server's Python."""
    walls = {
        "mode": confinement.mode.value,
        "network": confinement.network,
        "roots": [str(r) for r in confinement.roots],
        "readable": [str(r) for r in confinement.readable],
        "cwd": str(cwd),
    }
    return [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter", json.dumps(walls), "--", *program]


def _confinement(text: str) -> tuple[Confinement, Path]:
    walls: dict[str, Any] = json.loads(text)
    confinement = Confinement(
        SandboxMode(walls["mode"]),
        network=bool(walls["network"]),
        roots=tuple(Path(r) for r in walls["roots"]),
        readable=tuple(Path(r) for r in walls["readable"]),
    )
    return confinement, Path(walls["cwd"])


def main(argv: Sequence[str]) -> int:
    """Execs the confined program; returns (an exit status) only when it cannot."""
    if len(argv) < 3 or argv[1] != "--":
        print(
            "usage: python -m mcp_tools.sandbox.enter CONFINEMENT_JSON -- PROGRAM [ARGS...]", file=sys.stderr
        )
        return 2
    try:
        confinement, cwd = _confinement(argv[0])
    except (ValueError, KeyError, TypeError) as err:
        print(f"m2bridge sandbox: unreadable confinement ({err})", file=sys.stderr)
        return 2
    program = list(argv[2:])
    try:
        launch = prepare_launch(confinement, cwd)
    except SandboxUnavailable as err:
        print(f"m2bridge sandbox: the command was not run: {err}", file=sys.stderr)
        return CANNOT_ENTER
    for fd in launch.pass_fds:  # the seccomp filter, read by bubblewrap after exec
        os.set_inheritable(fd, True)
    # The secret variables out, whatever the editor's own environment added to the one it was given.
    env = {**child_environment(os.environ), **launch.env}
    if launch.ignore_signals:
        for sig in _LAUNCHER_IGNORES:
            signal.signal(sig, signal.SIG_IGN)
    prefix = launch.prefix
    if prefix and os.path.basename(prefix[0]) == "bwrap":
        prefix = [prefix[0], _DIE_WITH_PARENT, *prefix[1:]]
    command = [*prefix, *program]
    try:
        os.execvpe(command[0], command, env)
    except OSError as err:
        print(f"m2bridge sandbox: could not start {command[0]}: {err.strerror or err}", file=sys.stderr)
    return CANNOT_ENTER


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
