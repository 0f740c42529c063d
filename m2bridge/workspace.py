"""Which workspace a session belongs to: the real path of the git top level, or the current directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["detect_workspace"]


def detect_workspace(cwd: Path | None = None) -> Path:
    """The real path of `git rev-parse --show-toplevel` (worktrees are their own), else `cwd`."""
    start = Path(cwd or os.getcwd())
    try:
        proc = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return start.resolve()
    top = proc.stdout.strip()
    if proc.returncode == 0 and top:
        return Path(top).resolve()
    return start.resolve()
