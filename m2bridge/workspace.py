"""Which workspace a session belongs to: the real path of the git top level, or the current directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["WorkspaceMemo", "detect_workspace"]


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


class WorkspaceMemo:
    """`detect_workspace` per start folder, remembered while nothing that decides it has changed.

    Asking git costs a process (milliseconds, and a fork of a large server) on every new `m2_task`
    session. A folder's top level moves only when a `.git` entry appears or goes in the folder or one
    of its parents, or when the folder's real path changes; those are checked (a few `lstat`s) before
    each remembered answer is given. Settings that move it otherwise (`core.worktree`, `GIT_DIR`) are
    read by git only when it runs, which is also what a long-running server did before."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[tuple[str, tuple[bool, ...]], Path]] = {}

    def known(self, start: Path) -> Path | None:
        """The remembered answer if it still holds, without running git (cheap enough for an event loop)."""
        return self._still_known(start, _markers(start))

    def detect(self, start: Path) -> Path:
        """`known(start)`, else git's answer (remembered). Blocks: call it off an event loop."""
        markers = _markers(start)
        if (top := self._still_known(start, markers)) is not None:
            return top
        top = detect_workspace(start)
        self._known[start] = (markers, top)
        return top

    def _still_known(self, start: Path, markers: tuple[str, tuple[bool, ...]]) -> Path | None:
        entry = self._known.get(start)
        return entry[1] if entry is not None and entry[0] == markers else None


def _markers(start: Path) -> tuple[str, tuple[bool, ...]]:
    real = Path(os.path.realpath(start))
    return str(real), tuple(os.path.lexists(folder / ".git") for folder in (real, *real.parents))
