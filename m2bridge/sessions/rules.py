"""What both session store backends (SQLite, PostgreSQL) agree on: ids, refusals, leases, reading turns.

Both backends keep these in one place so that a session behaves the same wherever it is stored: the
same ids, the same errors worded the same way, the same judgement of whether a lease still counts, and
the same reading of a stored record (a record that cannot be read is skipped with a warning).
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from collections.abc import Iterable
from typing import LiteralString, cast, get_args

from pydantic import BaseModel, ValidationError

from m2bridge.errors import SessionBusy, SessionMovedOn, SessionNotFound
from m2bridge.messages import Turn, TurnAdapter
from m2bridge.sessions.owner import LeaseOwner, process_is_gone

__all__ = [
    "ID_CHARS",
    "KNOWN_KINDS",
    "LOST_KIND",
    "MIN_PREFIX",
    "TURN_TYPES",
    "append_row_changes",
    "busy",
    "check_append",
    "check_turns",
    "held_by_live_other",
    "moved_on",
    "new_session_id",
    "not_found",
    "prefix_problem",
    "read_turns",
]

logger = logging.getLogger("m2bridge.sessions")

_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 12
ID_CHARS = re.compile(r"[a-z0-9]+")
MIN_PREFIX = 4

# The concrete turn classes, from the `Turn` union (Annotated[Union[...], Field(...)]).
TURN_TYPES = cast("tuple[type[BaseModel], ...]", get_args(get_args(Turn)[0]))
KNOWN_KINDS = frozenset(str(cls.model_fields["kind"].default) for cls in TURN_TYPES)

# The kind of the record `m2bridge sessions recover` puts where a turn could not be salvaged, so the
# session keeps its indexes and its head; loading reports it instead of a turn.
LOST_KIND = "lost"


def not_found(session_id: str) -> SessionNotFound:
    return SessionNotFound(
        f"no session with id {session_id!r}; `m2bridge sessions list` shows the sessions there are"
    )


def busy(session_id: str, held_by: str | None = None) -> SessionBusy:
    """Refused: another holder's live lease. Says where that turn runs when the lease tells (the surface's
    label, its process and machine), so a user sees which window or machine to wait for."""
    where = _where(held_by)
    return SessionBusy(
        f"another m2bridge process{where} is in the middle of a turn on session {session_id}; "
        "wait for it to finish, or fork the session"
    )


def _where(held_by: str | None) -> str:
    if not held_by:
        return ""
    holder = LeaseOwner.decode(held_by)
    if holder.process is None:
        return f" ({holder.label})" if holder.label else ""
    return f" ({holder.label}, pid {holder.process.pid} on {holder.process.host})"


def moved_on(session_id: str) -> SessionMovedOn:
    return SessionMovedOn(
        "the session moved on: another process added turns since this one loaded it; "
        f"reload it, or fork it with `m2bridge sessions fork {session_id}`"
    )


def new_session_id() -> str:
    # Random rather than derived from the workspace: two sessions in one folder must not collide.
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def prefix_problem(wanted: str) -> SessionNotFound | None:
    """Why `wanted` (not an exact id) cannot be looked up as an id prefix; None when it can."""
    prefix = wanted.lower()
    if len(prefix) >= MIN_PREFIX and ID_CHARS.fullmatch(prefix):
        return None
    if 0 < len(prefix) < MIN_PREFIX:
        return SessionNotFound(
            f"no session with id {wanted!r}; give the full id or at least {MIN_PREFIX} characters of it"
        )
    return not_found(wanted)


def _holder_is_gone(held_by: str) -> bool:
    process = LeaseOwner.decode(held_by).process
    return process is not None and process_is_gone(process)


def held_by_live_other(held_by: str | None, expires: float | None, now: float, token: str | None) -> bool:
    """Whether a lease recorded as (`held_by`, `expires`) stops the holder of `token` (None: no lease)."""
    if held_by is None or expires is None or expires <= now or held_by == token:
        return False
    if _holder_is_gone(held_by):
        logger.info(
            "the lease holder %s is gone; its lease no longer counts", LeaseOwner.decode(held_by).label
        )
        return False
    return True


def check_append(
    session_id: str,
    *,
    head: int,
    expected_head: int,
    held_by: str | None,
    expires: float | None,
    now: float,
    token: str | None,
) -> None:
    """An append's admission, the same on every backend: SessionBusy for another holder's live lease,
    ValueError for a head past the end, SessionMovedOn when the session has moved on."""
    if held_by_live_other(held_by, expires, now, token):
        raise busy(session_id, held_by)
    if head != expected_head:
        if expected_head > head:
            raise ValueError(
                f"expected_head {expected_head} is past the head of session {session_id} ({head})"
            )
        raise moved_on(session_id)


def append_row_changes(
    *,
    now: float,
    appended: bool,
    context_tokens: int | None,
    held_by: str | None,
    lease_token: str | None,
    lease_ttl: float | None,
) -> list[tuple[LiteralString, object]]:
    """What an append changes about its session's row, as (column, value) for one UPDATE: the time of
    the last turn, the context size, and the appender's lease (`lease_token`/`lease_ttl`, None without
    one). Appending is proof of life: the lease is extended, and taken back if it had expired and nobody
    took it over (what `Lease.refresh` does), so no separate refresh is needed."""
    changes: list[tuple[LiteralString, object]] = []
    if appended:
        changes.append(("updated", now))
    if context_tokens is not None:
        changes.append(("context_tokens", context_tokens))
    if lease_token is not None and lease_ttl is not None:
        changes.append(("lease_expires", now + lease_ttl))
        if held_by != lease_token:
            changes.append(("lease_owner", lease_token))
            changes.append(("lease_depth", 1))
    return changes


def check_turns(turns: Iterable[object]) -> None:
    for turn in turns:
        if not isinstance(turn, TURN_TYPES):
            raise TypeError(f"not a turn: {type(turn).__name__}")


def read_turns(
    session_id: str, rows: Iterable[tuple[int, str, bytes, float]]
) -> tuple[list[tuple[int, Turn, float]], list[str]]:
    """The turns of stored records (index, kind, payload bytes, created), and a warning for each
    record that could not be read (corrupt, a kind this version does not know, lost to damage)."""
    turns: list[tuple[int, Turn, float]] = []
    warnings: list[str] = []
    for idx, kind, payload, created in rows:
        if kind == LOST_KIND:
            message = (
                f"session {session_id}: turn {idx} was lost to damage in the store file "
                "(`m2bridge sessions recover` salvaged the rest)"
            )
            logger.warning("%s", message)
            warnings.append(message)
            continue
        try:
            turns.append((idx, TurnAdapter.validate_json(payload), float(created)))
        except (ValidationError, TypeError, ValueError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            hint = "" if kind in KNOWN_KINDS else " (an unknown kind: written by a newer m2bridge?)"
            message = (
                f"session {session_id}: turn {idx} ({kind!r}) could not be read and was skipped{hint}: "
                f"{reason}"
            )
            logger.warning("%s", message)
            warnings.append(message)
    return turns, warnings
