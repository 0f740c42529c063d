"""The HTTP transport's static bearer token: made on first run, kept mode 0600 in the data folder.

A token file is used only if it is a regular file of ours that no one else could read: anything else (a
file readable or writable by group or others, a symbolic link, a file of another user, a FIFO, a
malformed token) may already be known to someone else, so it is replaced by a new token, with a warning.
Tightening the mode of an exposed file would keep a token that may have leaked. The new file is written
under a temporary name and moved into place, so a second server starting at the same moment never reads
half a token, and nothing is ever written through a link.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from m2bridge.errors import ConfigError

__all__ = ["TOKEN_FILE", "TokenFileError", "load_or_create_token"]

TOKEN_FILE = "mcp-http-token"
# secrets.token_urlsafe(32) gives 43 characters; anything outside this shape was not made here.
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,256}")
_MAX_READ = 1024


class TokenFileError(ConfigError):
    """The token file cannot be read or made; the message says which file and what to do."""


class _Unusable(Exception):
    """A token file that must not be trusted; the message says why, for the warning."""


def load_or_create_token(home: Path) -> tuple[str, Path]:
    """The token and its file; an untrustworthy file is replaced by a new token."""
    path = home / TOKEN_FILE
    try:
        _private_folder(home)
        for _ in range(3):  # another server may create or replace the file between two steps
            try:
                return _read(path), path
            except FileNotFoundError:
                token = _install(path, replace=False)
                if token is not None:
                    return token, path
            except _Unusable as why:
                print(
                    f"m2bridge: {path} {why}; made a new token (give it to your clients again)",
                    file=sys.stderr,
                )
                token = _install(path, replace=True)
                if token is not None:
                    return token, path
    except OSError as err:
        raise TokenFileError(
            f"cannot use the HTTP token file {path}: {err.strerror or err}; remove it (or fix the folder's "
            "permissions) and start again"
        ) from err
    raise TokenFileError(
        f"the HTTP token file {path} keeps changing under us; is another program rewriting it?"
    )


def _private_folder(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = os.stat(home)
    if info.st_uid != os.getuid():
        raise TokenFileError(
            f"the data folder {home} belongs to another user; set M2BRIDGE_HOME to a folder of yours"
        )
    if info.st_mode & 0o022:
        # Whoever can write the folder can swap the token file; ours, so made private (it holds sessions too).
        os.chmod(home, stat.S_IMODE(info.st_mode) & ~0o077)
        print(f"m2bridge: {home} was writable by others; made it private (0700)", file=sys.stderr)


def _read(path: Path) -> str:
    # O_NONBLOCK: a FIFO planted here must not hang the server; O_NOFOLLOW: a link is never followed.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _Unusable("is a symbolic link") from err
        if err.errno in (errno.EACCES, errno.EPERM):
            raise _Unusable("cannot be read by you") from err
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Unusable("is not a regular file")
        if info.st_uid != os.getuid():
            raise _Unusable("belongs to another user")
        if info.st_mode & 0o077:
            raise _Unusable(f"was open to others (mode {stat.S_IMODE(info.st_mode):04o})")
        raw = os.read(fd, _MAX_READ)
    finally:
        os.close(fd)
    token = raw.decode("ascii", errors="replace").strip()
    if not _SHAPE.fullmatch(token):
        raise _Unusable("does not hold a token made by m2bridge")
    return token


def _install(path: Path, *, replace: bool) -> str | None:
    """Write a new token under a temporary name, then move it into place; None if another server's file
    appeared first (read that one instead)."""
    token = secrets.token_urlsafe(32)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            # rename replaces a link or a foreign file itself, never what a link points to.
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                return None
    finally:
        temporary.unlink(missing_ok=True)
    return token
