"""The HTTP transport's static bearer token: made on first run, kept mode 0600 in the data folder."""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

__all__ = ["TOKEN_FILE", "load_or_create_token"]

TOKEN_FILE = "mcp-http-token"


def load_or_create_token(home: Path) -> tuple[str, Path]:
    """The token and its file. A file others could read is tightened to 0600 and its token replaced."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / TOKEN_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _create(path), path
    with os.fdopen(fd, "r", encoding="ascii", errors="replace") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        token = handle.read().strip()
    if mode & 0o077 or len(token) < 32:
        print(f"m2bridge: {path} was readable by others or malformed; made a new token", file=sys.stderr)
        path.unlink()
        return _create(path), path
    return token, path


def _create(path: Path) -> str:
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token
