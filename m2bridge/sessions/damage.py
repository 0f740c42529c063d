"""SQLite's errors, told apart: a damaged store file, a store that cannot be used now, and bugs.

A damaged page used to surface as a raw `sqlite3.DatabaseError` traceback from whichever command
touched it. Every store operation runs inside `store_errors`, which turns corruption into
`StoreDamaged` (one line naming the file and the way out, `m2bridge sessions recover`) and an
operational failure (locked, read-only, disk full, I/O) into `StoreUnavailable` naming the file: not a
refusal, so a turn keeps what it could not store (see `spool.py`).
Anything else (a constraint the schema enforces, a misuse of the API) is a bug and stays as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from m2bridge.errors import StoreDamaged, StoreUnavailable

__all__ = ["RECOVER_COMMAND", "damaged", "is_damage", "store_errors"]

RECOVER_COMMAND = "m2bridge sessions recover"

_CORRUPT = 11  # SQLITE_CORRUPT (and its extended codes: CORRUPT_INDEX, CORRUPT_SEQUENCE, ...)
_NOTADB = 26  # SQLITE_NOTADB
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt")


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` says the database file itself is damaged."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_CORRUPT, _NOTADB)
    return any(word in str(exc).lower() for word in _DAMAGE_WORDS)


def damaged(path: Path, exc: BaseException) -> StoreDamaged:
    reason = str(exc).strip() or type(exc).__name__
    return StoreDamaged(
        f"the session store {path} is damaged ({reason}); run `{RECOVER_COMMAND}` to salvage every "
        "readable session and turn into a new store (the damaged file is kept beside it)"
    )


@contextmanager
def store_errors(path: Path) -> Generator[None]:
    """Re-raise SQLite's damage and operational errors as m2bridge errors about the store at `path`."""
    try:
        yield
    except sqlite3.Error as exc:
        if is_damage(exc):
            raise damaged(path, exc) from exc
        if isinstance(exc, sqlite3.OperationalError):
            raise StoreUnavailable(f"the session store {path} could not be used: {exc}") from exc
        raise
