"""The interactive chat's input history: a file only its owner can read, like the session store.

What a user types can hold secrets (a pasted token, a password in a command), so the file is created
0600 and an existing one, from an older version or a permissive umask, is tightened to 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory

__all__ = ["private_history"]


def private_history(path: Path) -> tuple[History, str | None]:
    """The history kept at `path` (mode 0600), or one in memory and the reason when the file is unusable."""
    try:
        # O_NOFOLLOW: a symlink planted at the path is not followed to some other file.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)  # exact whatever the umask, and tightens a file that already existed
        finally:
            os.close(fd)
    except OSError as err:
        return InMemoryHistory(), f"input history not kept ({path}: {err.strerror or err})"
    return FileHistory(str(path)), None
