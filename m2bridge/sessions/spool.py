"""Turns the session store could not take, kept on this machine until it can.

When an append fails because the store is unavailable (the database unreachable or dropped mid-turn,
the disk full, the file locked for too long; not a refusal such as a session that moved on), what M2
returned must not be lost. The engine writes the turns it meant to store here: one line per failed
append in `unsaved/<session_id>.jsonl` under M2BRIDGE_HOME, naming the store, the head the turns were
to follow and each turn's payload exactly as the store would have kept it. The file is 0600,
append-only and fsynced before the turn reports its error.

The next turn on the session, on any surface of this machine, writes them first, in the same
transaction as its prompt, and only if the session's head is still the one they follow (`plan`). Turns
whose session moved on meanwhile stay here and are reported (`sessions show` lists them). A line whose
turns the store did take after all (the commit landed, its acknowledgement was lost with the
connection) is recognised by its bytes and dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from m2bridge.messages import AssistantTurn, CompactionTurn, ContextTurn, ToolResultsTurn, Turn, TurnAdapter
from m2bridge.sessions.rules import ID_CHARS
from m2bridge.sessions.store import StoredTurn

__all__ = [
    "Restore",
    "Unsaved",
    "UnsavedEntry",
    "describe",
    "forget",
    "is_plural",
    "keep",
    "pending",
    "plan",
    "spool_file",
]

logger = logging.getLogger("m2bridge.sessions")

_FOLDER = "unsaved"
_VERSION = 1


@dataclass(frozen=True)
class UnsavedEntry:
    """One failed append: its turns' payloads (exact JSON text, as the store keeps them), in order."""

    id: str
    store: str
    session_id: str
    after_head: int
    payloads: tuple[str, ...]
    saved_at: float
    reason: str
    # A digest of the turn they follow (None where it was not known): a head reached by other turns
    # meanwhile is not the one they follow.
    follows: str | None = None

    def turns(self) -> list[Turn] | None:
        """The turns, or None if one does not read back to exactly its payload (then writing it would
        not store the same bytes; it stays in the spool)."""
        turns: list[Turn] = []
        for payload in self.payloads:
            try:
                turn: Turn = TurnAdapter.validate_json(payload)
            except ValueError:
                return None
            if TurnAdapter.dump_json(turn).decode() != payload:
                return None
            turns.append(turn)
        return turns


@dataclass(frozen=True)
class Unsaved:
    """What the spool holds for one session in one store; `unreadable` counts lines that could not be
    read (a write cut short by a crash), which are kept in the file as they are."""

    path: Path
    entries: list[UnsavedEntry]
    unreadable: int = 0


@dataclass
class Restore:
    """What the next turn does with the spool: `turns` go first at the loaded head, in order."""

    turns: list[Turn] = field(default_factory=list[Turn])
    written: list[UnsavedEntry] = field(default_factory=list[UnsavedEntry])
    # Stored already: the commit landed though its acknowledgement was lost.
    saved: list[UnsavedEntry] = field(default_factory=list[UnsavedEntry])
    # Not written: the session moved on meanwhile (or a payload would not be stored byte for byte).
    stranded: list[UnsavedEntry] = field(default_factory=list[UnsavedEntry])


def spool_file(home: Path, session_id: str) -> Path:
    if not ID_CHARS.fullmatch(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    return home / _FOLDER / f"{session_id}.jsonl"


def keep(
    home: Path,
    store: str,
    session_id: str,
    after_head: int,
    turns: Sequence[Turn],
    reason: str,
    follows: Turn | None = None,
) -> Path:
    """Append the turns an append could not store (meant for index `after_head`, right after the turn
    `follows`), durably; the spool file. Raises OSError."""
    path = spool_file(home, session_id)
    _make_folder(path.parent)
    line = {
        "v": _VERSION,
        "id": secrets.token_hex(8),
        "store": store,
        "session_id": session_id,
        "after_head": after_head,
        "follows": None if follows is None else _digest(TurnAdapter.dump_json(follows).decode()),
        "saved_at": time.time(),
        "reason": reason,
        "payloads": [TurnAdapter.dump_json(turn).decode() for turn in turns],
    }
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)  # exact, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _sync_folder(path.parent)
    return path


def pending(home: Path, store: str, session_id: str) -> Unsaved:
    """The spooled turns of a session in `store` (a store's `path`), oldest first."""
    if not ID_CHARS.fullmatch(session_id):  # no session has such an id, so nothing was kept for it
        return Unsaved(home / _FOLDER, [])
    path = spool_file(home, session_id)
    entries: list[UnsavedEntry] = []
    unreadable = 0
    try:
        lines = _lines(path)
    except OSError:
        return Unsaved(path, [], 1)
    for raw in lines:
        entry = _entry(raw)
        if entry is None:
            unreadable += 1
        elif entry.store == store and entry.session_id == session_id:
            entries.append(entry)
    return Unsaved(path, entries, unreadable)


def plan(entries: Sequence[UnsavedEntry], stored: Sequence[StoredTurn], head: int) -> Restore:
    """Which spooled turns go in at `head` (the loaded session's), given the turns stored so far."""
    restore = Restore()
    by_index = {s.index: s.turn for s in stored}
    at = head
    for entry in entries:
        turns = entry.turns()
        if restore.written:  # after kept turns written just before them
            before: str | None = _digest(restore.written[-1].payloads[-1])
        else:
            previous = by_index.get(entry.after_head - 1)
            before = None if previous is None else _digest(TurnAdapter.dump_json(previous).decode())
        follows = entry.follows is None or entry.follows == before
        if turns is not None and entry.after_head == at and follows:
            restore.turns += turns
            restore.written.append(entry)
            at += len(turns)
        elif _stored_already(entry, by_index):
            restore.saved.append(entry)
        else:
            restore.stranded.append(entry)
    return restore


def forget(home: Path, session_id: str, ids: Sequence[str]) -> None:
    """Drop the lines of these entries (now in the store); the file goes once nothing is left in it."""
    if not ids:
        return
    path = spool_file(home, session_id)
    gone = set(ids)
    kept = [raw for raw in _lines(path) if (entry := _entry(raw)) is None or entry.id not in gone]
    if not kept:
        path.unlink(missing_ok=True)
    else:
        spare = path.with_suffix(".tmp")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, b"".join(raw + b"\n" for raw in kept))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(spare, path)
    _sync_folder(path.parent)


def describe(turns: Sequence[Turn]) -> str:
    """The turns in words: "M2's answer and 2 tool results"."""
    parts: list[str] = []
    for i, turn in enumerate(turns):
        if isinstance(turn, AssistantTurn):
            if turn.incomplete:
                parts.append("M2's incomplete answer")
                continue
            answered = i + 1 < len(turns) and isinstance(turns[i + 1], ToolResultsTurn)
            calls = len(turn.tool_calls)
            if calls and not answered:
                parts.append(f"M2's answer (with {_count(calls, 'tool call')}, not run)")
            else:
                parts.append("M2's answer")
        elif isinstance(turn, ToolResultsTurn):
            parts.append(_count(len(turn.results), "tool result"))
        elif isinstance(turn, CompactionTurn):
            parts.append("the summary of older turns")
        elif isinstance(turn, ContextTurn):
            parts.append("context you attached")
        else:
            parts.append("your prompt")
    if len(parts) <= 1:
        return "".join(parts) or "nothing"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def is_plural(turns: Sequence[Turn]) -> bool:
    """Whether `describe(turns)` takes a plural verb."""
    if len(turns) != 1:
        return True
    only = turns[0]
    return isinstance(only, ToolResultsTurn) and len(only.results) != 1


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


def _stored_already(entry: UnsavedEntry, by_index: dict[int, Turn]) -> bool:
    for offset, payload in enumerate(entry.payloads):
        turn = by_index.get(entry.after_head + offset)
        if turn is None or TurnAdapter.dump_json(turn).decode() != payload:
            return False
    return bool(entry.payloads)


def _lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:  # unreadable: reported, and never rewritten from a partial read
        logger.warning("the unsaved turns in %s cannot be read: %s", path, exc)
        raise
    return [raw for raw in data.split(b"\n") if raw.strip()]


def _entry(raw: bytes) -> UnsavedEntry | None:
    try:
        line = json.loads(raw)
        return UnsavedEntry(
            id=str(line["id"]),
            store=str(line["store"]),
            session_id=str(line["session_id"]),
            after_head=int(line["after_head"]),
            payloads=tuple(str(p) for p in line["payloads"]),
            saved_at=float(line["saved_at"]),
            reason=str(line["reason"]),
            follows=None if line.get("follows") is None else str(line["follows"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _make_folder(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered through the umask
        _sync_folder(folder.parent)


def _sync_folder(folder: Path) -> None:
    """Make a file's creation, rename or removal in `folder` durable (where the platform can)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
