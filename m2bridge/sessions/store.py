"""The session store: every turn of every conversation, kept exactly as received, in one SQLite file.

Several processes (editor, terminal, MCP server) share one store file; each opens its own
`SessionStore`. Two mechanisms keep them from stepping on each other:

* optimistic concurrency: `append` names the head (next index) the caller loaded; if another process
  appended meanwhile, the append is refused with `SessionMovedOn` and nothing is written;
* turn leases: a process about to run a turn takes a short, renewable lease on the session
  (`acquire`), so a second process is told the session is busy (`SessionBusy`) instead of racing
  it. The lease names its holder's process (see `owner.py`): a lease whose process is gone (killed,
  crashed, terminal closed) is taken over at once; one held on another machine, or where the
  platform cannot tell, is taken over once it expires.

Durability: WAL journal with `synchronous=FULL`, so `append` returns only once the turns are on disk;
all turns of one `append` land in one transaction or not at all. The schema itself refuses gaps,
overwrites and edits of turns (see `schema.py`).

Cost: an fsync per commit is what a durable append costs, so the store spends as few as it can.
* Group commit (`group_commit.py`): creates, appends and lease changes that threads of one process
  make at the same time (sixteen `m2_task` agents through the async face, `async_store.py`) share one
  transaction and one fsync, each in its own savepoint, so one refused append (moved on, busy) does
  not take the others with it.
* Appending with a lease also refreshes it, in the same transaction.
* Lease changes (acquire, refresh, release) and new, empty sessions commit without an fsync (WAL,
  `synchronous=NORMAL`): they survive the process crashing, and the next durable commit (the session's
  first turn) makes them durable too, since the log is written in order. Only a power loss can undo
  one: a lease it undoes had holders the power loss killed anyway, and a session it undoes held no
  turn yet (a session whose first turn never landed is taken back anyway, see `unanswered.py`).
* Reads use connections of their own (one per thread reading at the time), so a load never waits
  for a write's fsync, nor for another thread's load.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import threading
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from m2bridge.errors import SessionError, SessionNotFound
from m2bridge.messages import Turn, TurnAdapter
from m2bridge.sessions.damage import store_errors
from m2bridge.sessions.group_commit import GroupCommit
from m2bridge.sessions.owner import LeaseOwner, this_process
from m2bridge.sessions.rules import (
    LOST_KIND,
    append_row_changes,
    check_append,
    check_turns,
    prefix_problem,
    read_turns,
)
from m2bridge.sessions.rules import busy as _busy
from m2bridge.sessions.rules import held_by_live_other as _held_by_live_other
from m2bridge.sessions.rules import new_session_id as _new_id
from m2bridge.sessions.rules import not_found as _not_found
from m2bridge.sessions.schema import check_version, migrate

__all__ = [
    "BUSY_TIMEOUT",
    "LOST_KIND",
    "Lease",
    "LeaseKeeper",
    "LoadedSession",
    "SessionInfo",
    "SessionRecords",
    "SessionStore",
    "StoredTurn",
]

# How long a write waits for another process's write transaction before giving up. Transactions
# here last milliseconds, so reaching this means something is badly stuck.
BUSY_TIMEOUT = 10.0
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

# Reading connections kept open between reads; more are opened while more threads read at once.
_IDLE_READERS = 4

_INFO_COLUMNS = "id, title, workspace, protocol, model, created, updated, head, context_tokens"


@dataclass(frozen=True)
class SessionInfo:
    id: str
    title: str
    workspace: str
    protocol: str
    model: str
    created: float
    updated: float
    turns: int
    context_tokens: int


@dataclass(frozen=True)
class StoredTurn:
    index: int
    turn: Turn
    created: float


@dataclass(frozen=True)
class LoadedSession:
    info: SessionInfo
    # In index order. A record that could not be read is missing here (and described in `warnings`),
    # so indexes may skip; `head` still counts it.
    turns: list[StoredTurn]
    warnings: list[str]

    @property
    def head(self) -> int:
        """The index the next appended turn gets (= number of turns stored, readable or not)."""
        return self.info.turns


@dataclass(frozen=True)
class SessionRecords:
    """A session exactly as stored: its row and every turn record's bytes (for `sessions copy`)."""

    info: SessionInfo
    forked_from: str | None
    # (index, kind, payload bytes, created), in index order
    turns: list[tuple[int, str, bytes, float]]


class LeaseKeeper(Protocol):
    """The store a lease goes back to for its refresh and release (either backend)."""

    def refresh_lease(self, lease: Lease) -> float: ...

    def release_lease(self, lease: Lease) -> None: ...


class Lease:
    """A turn lease on one session, held by `owner` until released or `ttl` seconds without refresh.

    Use it as a context manager around a turn, pass it to `SessionStore.append`, and `refresh()` it
    during long tool runs. Appending with the lease also refreshes it.
    """

    def __init__(
        self, store: LeaseKeeper, session_id: str, owner: str, ttl: float, expires: float, token: str
    ) -> None:
        self._store = store
        self.session_id = session_id
        self.owner = owner
        # What the store records as the holder: the label plus this process's identity.
        self.token = token
        self.ttl = ttl
        self.expires = expires
        self.released = False

    def refresh(self) -> None:
        """Push the expiry `ttl` seconds ahead. SessionBusy if another owner took the lease over."""
        if self.released:
            raise SessionError(f"the lease on session {self.session_id} was already released")
        self.expires = self._store.refresh_lease(self)

    def release(self) -> None:
        """Give the lease back (once per `acquire`; calling it again does nothing)."""
        if not self.released:
            self.released = True
            self._store.release_lease(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lease(session_id={self.session_id!r}, owner={self.owner!r}, expires={self.expires:.3f})"


def _as_text(payload: bytes) -> str | bytes:
    try:
        return payload.decode()
    except UnicodeDecodeError:
        return payload


def _prepare_file(path: Path) -> None:
    """Create the parent folder (0700) and the database file (0600) if they do not exist yet."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(parent, 0o700)  # mkdir's mode is filtered through the umask
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # an existing file keeps whatever mode its owner gave it
    try:
        os.fchmod(fd, 0o600)  # exact, whatever the umask
    finally:
        os.close(fd)
    # SQLite gives the -wal and -shm files the database file's mode, so they are 0600 too.


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting (up to BUSY_TIMEOUT) for other processes opening it too.

    SQLite takes the exclusive lock for this switch without calling the busy handler, so a
    process that opens a new store while another does gets "database is locked" at once.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class SessionStore:
    """The sessions in one SQLite file.

    One connection per store object. A store object may be used from one thread at a time (calls
    from different threads one after another, as through `anyio.to_thread.run_sync`, are fine; an
    internal lock also serialises accidental concurrent calls). Each process opens its own store;
    any number of processes may share the file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        _prepare_file(self.path)
        conn = self._open()
        try:
            with store_errors(self.path):
                # The version check comes before anything that could write (even the journal mode),
                # so a store from a newer m2bridge is left untouched.
                check_version(conn, self.path)
                _use_wal(conn)
                conn.execute("PRAGMA synchronous = FULL")  # a turn is acknowledged only once durable
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(conn, self.path)
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self._writes = GroupCommit(self._lock, lambda durable: self._write(durable=durable))
        # Idle reading connections. A read takes one (or opens one) and gives it back, so reads never
        # queue behind a write's fsync nor behind each other: WAL lets readers and a writer work at once.
        self._readers: builtins.list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    # -- plumbing ---------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            return sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise SessionError(f"cannot open the session store {self.path}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise SessionError(f"the session store {self.path} is closed")
        return self._conn

    def _take_reader(self) -> sqlite3.Connection:
        with self._readers_lock:
            if self._closed:
                raise SessionError(f"the session store {self.path} is closed")
            if self._readers:
                return self._readers.pop()
        return self._open()

    def _give_back_reader(self, conn: sqlite3.Connection) -> None:
        with self._readers_lock:
            if not self._closed and len(self._readers) < _IDLE_READERS:
                self._readers.append(conn)
                return
        conn.close()

    @staticmethod
    @contextmanager
    def _begin(conn: sqlite3.Connection, mode: str) -> Generator[sqlite3.Connection]:
        conn.execute(f"BEGIN {mode}")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # a damaged file may refuse even this
                    conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self, *, durable: bool = True) -> Generator[sqlite3.Connection]:
        """One write transaction, under the object lock. IMMEDIATE takes the write lock up front, so
        a writer never has to upgrade a read snapshot (which could fail without waiting). Not
        `durable`: committed without an fsync (see the module docstring: lease changes only)."""
        with self._query() as conn:
            if durable:
                with self._begin(conn, "IMMEDIATE"):
                    yield conn
                return
            conn.execute("PRAGMA synchronous = NORMAL")
            try:
                with self._begin(conn, "IMMEDIATE"):
                    yield conn
            finally:
                conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def _query(self) -> Generator[sqlite3.Connection]:
        """The writing connection, under the object lock, with SQLite's errors told as the store's own."""
        with self._lock, store_errors(self.path):
            yield self._connection()

    @contextmanager
    def _reading(self) -> Generator[sqlite3.Connection]:
        """A reading connection of this thread's own, with SQLite's errors told as the store's own."""
        with store_errors(self.path):
            conn = self._take_reader()
            try:
                yield conn
            finally:
                self._give_back_reader(conn)

    @contextmanager
    def _read(self) -> Generator[sqlite3.Connection]:
        # A read transaction gives one consistent snapshot across several SELECTs.
        with self._reading() as conn, self._begin(conn, "DEFERRED"):
            yield conn

    @staticmethod
    def _info(conn: sqlite3.Connection, session_id: str) -> SessionInfo:
        row = conn.execute(f"SELECT {_INFO_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise _not_found(session_id)
        return SessionInfo(*row)

    @staticmethod
    def _free_id(conn: sqlite3.Connection) -> str:
        # Checked under the write lock, so no other process can take the id before we insert it.
        for _ in range(10):
            session_id = _new_id()
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                return session_id
        raise SessionError("could not find a free session id; is the random number generator broken?")

    # -- sessions ---------------------------------------------------------------------------------

    def create(self, *, workspace: str, protocol: str, model: str, title: str = "") -> SessionInfo:
        """Start an empty session."""

        def create(conn: sqlite3.Connection) -> SessionInfo:
            session_id = self._free_id(conn)
            now = time.time()
            conn.execute(
                "INSERT INTO sessions (id, title, workspace, protocol, model, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, title, workspace, protocol, model, now, now),
            )
            return self._info(conn, session_id)

        # Not durable by itself: see the module docstring.
        return self._writes.run(create, durable=False)

    def get(self, session_id: str) -> SessionInfo:
        with self._reading() as conn:
            return self._info(conn, session_id)

    def resolve(self, id_or_prefix: str) -> SessionInfo:
        """The session with this exact id, or the only one whose id starts with it (>= 4 characters)."""
        wanted = id_or_prefix.strip()
        with self._reading() as conn:
            row = conn.execute(f"SELECT {_INFO_COLUMNS} FROM sessions WHERE id = ?", (wanted,)).fetchone()
            if row is not None:
                return SessionInfo(*row)
            problem = prefix_problem(wanted)
            if problem is not None:
                raise problem
            prefix = wanted.lower()
            # '{' sorts right after 'z', so this range is exactly the ids starting with the prefix,
            # and it is answered from the primary-key index.
            rows = conn.execute(
                f"SELECT {_INFO_COLUMNS} FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                (prefix, prefix + "{"),
            ).fetchall()
        if not rows:
            raise _not_found(wanted)
        if len(rows) > 1:
            shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise SessionNotFound(
                f"the session id prefix {wanted!r} is ambiguous: it matches {shown}; give more characters"
            )
        return SessionInfo(*rows[0])

    def list(self, *, workspace: str | None = None, limit: int = 100) -> builtins.list[SessionInfo]:
        """Sessions, most recently updated first; only those of `workspace` when given."""
        where, params = ("WHERE workspace = ?", [workspace]) if workspace is not None else ("", [])
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_INFO_COLUMNS} FROM sessions {where}"
                " ORDER BY updated DESC, created DESC, id LIMIT ?",
                (*params, max(0, limit)),
            ).fetchall()
        return [SessionInfo(*row) for row in rows]

    def latest(self, workspace: str) -> SessionInfo | None:
        """The most recently updated session of `workspace`, if any."""
        found = self.list(workspace=workspace, limit=1)
        return found[0] if found else None

    def set_title(self, session_id: str, title: str) -> None:
        # Renaming is not activity: `updated` (and so the list order) stays as it was.
        with self._write() as conn:
            if conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id)).rowcount == 0:
                raise _not_found(session_id)

    def fork(self, session_id: str) -> SessionInfo:
        """A new, independent session holding a verbatim copy of every turn stored so far."""
        with self._write() as conn:
            src = self._info(conn, session_id)
            new_id = self._free_id(conn)
            now = time.time()
            conn.execute(
                "INSERT INTO sessions (id, title, workspace, protocol, model, created, updated,"
                " context_tokens, forked_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id,
                    f"fork of {src.title or src.id}",
                    src.workspace,
                    src.protocol,
                    src.model,
                    now,
                    now,
                    src.context_tokens,
                    src.id,
                ),
            )
            # Copied inside SQLite, so each payload stays byte-identical (never re-serialised).
            conn.execute(
                "INSERT INTO turns (session_id, idx, kind, payload, created)"
                " SELECT ?, idx, kind, payload, created FROM turns WHERE session_id = ? ORDER BY idx",
                (new_id, session_id),
            )
            return self._info(conn, new_id)

    def remove(self, session_id: str, *, force: bool = False) -> None:
        """Delete a session and all its turns. Refused (SessionBusy) while another process holds a
        live turn lease on it, unless `force`."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT lease_owner, lease_expires FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise _not_found(session_id)
            owner, expires = row
            if not force and _held_by_live_other(owner, expires, time.time(), None):
                raise _busy(session_id, owner)
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # -- turns ------------------------------------------------------------------------------------

    def load(self, session_id: str) -> LoadedSession:
        """The session and its turns. A record that cannot be read (corrupt, or a kind this version
        does not know) is skipped with a warning; the rest still loads."""
        with self._read() as conn:
            info = self._info(conn, session_id)
            # As bytes: a payload that is not even valid UTF-8 must not stop the whole load.
            rows = conn.execute(
                "SELECT idx, kind, CAST(payload AS BLOB), created FROM turns"
                " WHERE session_id = ? ORDER BY idx",
                (session_id,),
            ).fetchall()
        read, warnings = read_turns(session_id, rows)
        turns = [StoredTurn(idx, turn, created) for idx, turn, created in read]
        return LoadedSession(info=info, turns=turns, warnings=warnings)

    def append(
        self,
        session_id: str,
        turns: Sequence[Turn],
        *,
        expected_head: int,
        lease: Lease | None = None,
        context_tokens: int | None = None,
    ) -> int:
        """Append `turns` at indexes expected_head, expected_head + 1, ... in one durable transaction.

        Returns the new head. SessionMovedOn if the session's head is no longer `expected_head`
        (nothing is written); SessionBusy if a live lease is held by anyone but `lease`'s owner (so
        a lease holder must pass its lease).
        """
        if lease is not None and lease.session_id != session_id:
            raise ValueError(f"the lease is for session {lease.session_id}, not {session_id}")
        check_turns(turns)
        # Serialised before the transaction, so the write lock is held as briefly as possible.
        rows = [(turn.kind, TurnAdapter.dump_json(turn).decode()) for turn in turns]
        held = lease if lease is not None and not lease.released else None
        head, expires = self._writes.run(
            lambda conn: self._append(conn, session_id, rows, expected_head, lease, held, context_tokens)
        )
        if held is not None:
            held.expires = expires
        return head

    @staticmethod
    def _append(
        conn: sqlite3.Connection,
        session_id: str,
        rows: builtins.list[tuple[str, str]],
        expected_head: int,
        lease: Lease | None,
        held: Lease | None,
        context_tokens: int | None,
    ) -> tuple[int, float]:
        """The append itself: (the new head, the lease's new expiry when `held`)."""
        now = time.time()
        found = conn.execute(
            "SELECT head, lease_owner, lease_expires FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if found is None:
            raise _not_found(session_id)
        head, owner, expires = found
        token = lease.token if lease is not None else None
        check_append(
            session_id,
            head=head,
            expected_head=expected_head,
            held_by=owner,
            expires=expires,
            now=now,
            token=token,
        )
        if rows:
            conn.executemany(
                "INSERT INTO turns (session_id, idx, kind, payload, created) VALUES (?, ?, ?, ?, ?)",
                [(session_id, head + i, kind, payload, now) for i, (kind, payload) in enumerate(rows)],
            )
        # One UPDATE of the session row for everything the append changes about it.
        changes = append_row_changes(
            now=now,
            appended=bool(rows),
            context_tokens=context_tokens,
            held_by=owner,
            lease_token=held.token if held is not None else None,
            lease_ttl=held.ttl if held is not None else None,
        )
        if changes:
            sets = ", ".join(f"{column} = ?" for column, _ in changes)
            conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*(v for _, v in changes), session_id))
        return head + len(rows), now + (held.ttl if held is not None else 0.0)

    # -- moving sessions between stores -----------------------------------------------------------

    def records(self, session_id: str) -> SessionRecords:
        """The session exactly as stored (see `m2bridge.sessions.copy`)."""
        with self._read() as conn:
            info = self._info(conn, session_id)
            forked_from = conn.execute(
                "SELECT forked_from FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT idx, kind, CAST(payload AS BLOB), created FROM turns"
                " WHERE session_id = ? ORDER BY idx",
                (session_id,),
            ).fetchall()
        return SessionRecords(
            info, forked_from, [(int(i), str(k), bytes(p), float(c)) for i, k, p, c in rows]
        )

    def restore(self, records: SessionRecords) -> SessionInfo:
        """Store a copied session under its own id, every record as it was; SessionError if the id
        is taken here."""
        info = records.info
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (info.id,)).fetchone() is not None:
                raise SessionError(f"the session store {self.path} already holds a session {info.id}")
            conn.execute(
                "INSERT INTO sessions (id, title, workspace, protocol, model, created, updated,"
                " context_tokens, forked_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    info.id,
                    info.title,
                    info.workspace,
                    info.protocol,
                    info.model,
                    info.created,
                    info.updated,
                    info.context_tokens,
                    records.forked_from,
                ),
            )
            # Text as this store writes it; bytes that are not UTF-8 (a damaged record) kept as they are.
            conn.executemany(
                "INSERT INTO turns (session_id, idx, kind, payload, created) VALUES (?, ?, ?, ?, ?)",
                [
                    (info.id, idx, kind, _as_text(payload), created)
                    for idx, kind, payload, created in records.turns
                ],
            )
            return self._info(conn, info.id)

    # -- leases -----------------------------------------------------------------------------------

    def acquire(self, session_id: str, owner: str, ttl: float = 30.0) -> Lease:
        """Take the turn lease on a session for `ttl` seconds (renewable with `Lease.refresh`).

        SessionBusy if another owner holds an unexpired lease; re-entrant for the same owner in the
        same process (each acquire needs its own release); an expired lease, or one whose process
        is gone, is taken over.
        """
        if ttl <= 0:
            raise ValueError("a lease needs a positive ttl")
        token = LeaseOwner(owner, this_process()).encode()

        def take(conn: sqlite3.Connection) -> float:
            now = time.time()
            found = conn.execute(
                "SELECT lease_owner, lease_expires, lease_depth FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if found is None:
                raise _not_found(session_id)
            held_by, expires, depth = found
            if held_by == token:
                depth += 1
            elif _held_by_live_other(held_by, expires, now, token):
                raise _busy(session_id, held_by)
            else:
                depth = 1  # free, expired, or its process is gone: take it over
            conn.execute(
                "UPDATE sessions SET lease_owner = ?, lease_expires = ?, lease_depth = ? WHERE id = ?",
                (token, now + ttl, depth, session_id),
            )
            return now + ttl

        expires = self._writes.run(take, durable=False)
        return Lease(self, session_id, owner, ttl, expires, token)

    def refresh_lease(self, lease: Lease) -> float:
        """`Lease.refresh`: the lease's new expiry."""

        def refresh(conn: sqlite3.Connection) -> float:
            now = time.time()
            found = conn.execute(
                "SELECT lease_owner, lease_expires FROM sessions WHERE id = ?", (lease.session_id,)
            ).fetchone()
            if found is None:
                raise _not_found(lease.session_id)
            held_by, expires = found
            if held_by == lease.token:
                conn.execute(
                    "UPDATE sessions SET lease_expires = ? WHERE id = ?", (now + lease.ttl, lease.session_id)
                )
            elif _held_by_live_other(held_by, expires, now, lease.token):
                raise _busy(lease.session_id, held_by)  # it expired and someone else took it over
            else:
                conn.execute(
                    "UPDATE sessions SET lease_owner = ?, lease_expires = ?, lease_depth = 1 WHERE id = ?",
                    (lease.token, now + lease.ttl, lease.session_id),
                )
            return now + lease.ttl

        return self._writes.run(refresh, durable=False)

    def release_lease(self, lease: Lease) -> None:
        """`Lease.release`."""

        def release(conn: sqlite3.Connection) -> None:
            # Only our own lease: after an expiry takeover it belongs to someone else.
            conn.execute(
                "UPDATE sessions SET"
                " lease_depth = lease_depth - 1,"
                " lease_owner = CASE WHEN lease_depth > 1 THEN lease_owner END,"
                " lease_expires = CASE WHEN lease_depth > 1 THEN lease_expires END"
                " WHERE id = ? AND lease_owner = ?",
                (lease.session_id, lease.token),
            )

        self._writes.run(release, durable=False)

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock, self._readers_lock:
            self._closed = True
            for conn in (self._conn, *self._readers):
                if conn is not None:
                    conn.close()
            self._conn, self._readers = None, []

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SessionStore({str(self.path)!r})"
