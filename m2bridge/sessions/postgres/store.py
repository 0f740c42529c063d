"""The session store on PostgreSQL: the same operations, guarantees and errors as the SQLite store.

`PostgresSessionStore` has exactly `SessionStore`'s synchronous API, so everything above the store (the
async face in `async_store.py`, which runs each call in a worker thread, and the agent) is one path
for both backends. It is synchronous psycopg 3 with a `psycopg_pool.ConnectionPool`: each call borrows
a connection for one transaction, so calls from many worker threads run at once, each on its own
connection, and PostgreSQL itself serialises what must be serialised (row locks on the session).

The guarantees, as in `store.py`:

* append-only turns, acknowledged only once committed: `synchronous_commit = on` on every connection,
  whatever the server's default, and the schema itself refuses gaps, overwrites and edits;
* the optimistic head: `append` names the head it loaded; the session row is locked (FOR UPDATE) and
  a different head is refused with `SessionMovedOn`, nothing written;
* turn leases with the same owners, expiry and liveness rules (see `owner.py`): a lease held by a
  process of this machine that is gone is taken over at once, one of another machine once it expires;
* forks copy every payload inside the database, so each stays byte-identical.

Row-level security (see `schema.py`) decides which sessions this role sees: its own, and read-only
those shared with it. The connection URL's password never appears in a message: `where` names the
store with the password hidden.
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, LiteralString

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from m2bridge.errors import SessionError, SessionNotFound, StoreUnavailable
from m2bridge.messages import Turn, TurnAdapter
from m2bridge.sessions.owner import LeaseOwner, this_process
from m2bridge.sessions.postgres.schema import migrate
from m2bridge.sessions.postgres.url import hide_password
from m2bridge.sessions.rules import (
    append_row_changes,
    busy,
    check_append,
    check_turns,
    held_by_live_other,
    not_found,
    prefix_problem,
    read_turns,
)
from m2bridge.sessions.rules import new_session_id as _new_id
from m2bridge.sessions.store import Lease, LoadedSession, SessionInfo, SessionRecords, StoredTurn

__all__ = ["CONNECT_TIMEOUT", "PostgresSessionStore"]

logger = logging.getLogger("m2bridge.sessions")

# How long opening the store, or a call waiting for a free connection, may take before it gives up
# with a clear error (an unreachable server would otherwise hang the first turn).
CONNECT_TIMEOUT = 10.0
_POOL_SIZE = 8

_INFO_COLUMNS: LiteralString = "id, title, workspace, protocol, model, created, updated, head, context_tokens"
_Row = tuple[Any, ...]
_Connection = psycopg.Connection[_Row]


def _session_info(row: _Row) -> SessionInfo:
    return SessionInfo(
        id=str(row[0]),
        title=str(row[1]),
        workspace=str(row[2]),
        protocol=str(row[3]),
        model=str(row[4]),
        created=float(row[5]),
        updated=float(row[6]),
        turns=int(row[7]),
        context_tokens=int(row[8]),
    )


def _read_only(session_id: str) -> SessionError:
    return SessionError(
        f"session {session_id} was shared with you read-only: its owner alone can change it; "
        f"fork it with `m2bridge sessions fork {session_id}` to continue it as your own"
    )


class PostgresSessionStore:
    """The sessions this database role can reach in one PostgreSQL database.

    Safe to call from several threads at once (each call borrows its own connection). Each process
    opens its own store; any number of processes, on any number of machines, may share the database.
    """

    def __init__(self, url: str, *, pool_size: int = _POOL_SIZE, timeout: float = CONNECT_TIMEOUT) -> None:
        self.url = url
        # What messages and `repr` call the store: the URL with its password hidden.
        self.path = hide_password(url)
        self._closed = False
        try:
            with psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True) as conn:
                migrate(conn, self.path)
        except psycopg.Error as exc:
            raise self._failure(exc) from exc
        self._pool: ConnectionPool[_Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={"connect_timeout": max(1, int(timeout)), "application_name": "m2bridge"},
            configure=self._configure,
            # A connection idle through a long turn may have been dropped (a server restart, a proxy's
            # idle limit): checked as it is lent, a dead one is replaced instead of failing the append
            # that stores M2's answer. One round trip per call.
            check=ConnectionPool.check_connection,
            timeout=timeout,
            open=False,
            name="m2bridge-sessions",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            self._pool.close()
            raise self._failure(exc) from exc

    # -- plumbing ---------------------------------------------------------------------------------

    @staticmethod
    def _configure(conn: _Connection) -> None:
        # A turn is acknowledged only once durable, whatever the server's or the role's default.
        conn.execute("SET synchronous_commit = on")
        conn.commit()

    def _failure(self, exc: BaseException) -> SessionError:
        # Unreachable, dropped mid-call, shut down, out of disk: not a refusal (StoreUnavailable), so a
        # turn keeps what it could not store. A closed connection psycopg reports as InterfaceError.
        if isinstance(exc, PoolTimeout | psycopg.OperationalError | psycopg.InterfaceError):
            # libpq's messages name host, port and user, never the password.
            return StoreUnavailable(f"cannot reach the session store {self.path}: {exc}".rstrip())
        return SessionError(f"the session store {self.path} failed: {exc}".rstrip())

    @contextmanager
    def _transaction(self, *, read_only: bool = False) -> Generator[_Connection]:
        """One transaction on a pooled connection, committed (durably) when the block ends without
        an error; the database's errors told as the store's own."""
        if self._closed:
            raise SessionError(f"the session store {self.path} is closed")
        try:
            with self._pool.connection() as conn:
                if read_only:
                    # One snapshot for every SELECT of the block, like SQLite's read transaction.
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn
        except (PoolTimeout, psycopg.Error) as exc:
            raise self._failure(exc) from exc

    @staticmethod
    def _info(conn: _Connection, session_id: str) -> SessionInfo:
        row = conn.execute(
            f"SELECT {_INFO_COLUMNS} FROM m2bridge.sessions WHERE id = %s", (session_id,)
        ).fetchone()
        if row is None:
            raise not_found(session_id)
        return _session_info(row)

    @staticmethod
    def _missing(conn: _Connection, session_id: str) -> SessionError:
        """Why a session this role wanted to change is not there: gone, or someone else's shared one."""
        shared = conn.execute("SELECT 1 FROM m2bridge.sessions WHERE id = %s", (session_id,)).fetchone()
        return _read_only(session_id) if shared is not None else not_found(session_id)

    @staticmethod
    def _lease_row(conn: _Connection, session_id: str) -> tuple[str | None, float | None, int, int]:
        """(lease owner, lease expiry, lease depth, head) of a session of this role, its row locked."""
        row = conn.execute(
            "SELECT lease_owner, lease_expires, lease_depth, head FROM m2bridge.sessions"
            " WHERE id = %s FOR UPDATE",
            (session_id,),
        ).fetchone()
        if row is None:
            raise PostgresSessionStore._missing(conn, session_id)
        owner, expires, depth, head = row
        return (
            None if owner is None else str(owner),
            None if expires is None else float(expires),
            int(depth),
            int(head),
        )

    # -- sessions ---------------------------------------------------------------------------------

    def create(self, *, workspace: str, protocol: str, model: str, title: str = "") -> SessionInfo:
        """Start an empty session."""
        for _ in range(10):
            now = time.time()
            with self._transaction() as conn:
                row = conn.execute(
                    "INSERT INTO m2bridge.sessions (id, title, workspace, protocol, model, created, updated)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING"
                    f" RETURNING {_INFO_COLUMNS}",
                    (_new_id(), title, workspace, protocol, model, now, now),
                ).fetchone()
            if row is not None:
                return _session_info(row)
        raise SessionError("could not find a free session id; is the random number generator broken?")

    def get(self, session_id: str) -> SessionInfo:
        with self._transaction(read_only=True) as conn:
            return self._info(conn, session_id)

    def resolve(self, id_or_prefix: str) -> SessionInfo:
        """The session with this exact id, or the only one whose id starts with it (>= 4 characters)."""
        wanted = id_or_prefix.strip()
        with self._transaction(read_only=True) as conn:
            row = conn.execute(
                f"SELECT {_INFO_COLUMNS} FROM m2bridge.sessions WHERE id = %s", (wanted,)
            ).fetchone()
            if row is not None:
                return _session_info(row)
            problem = prefix_problem(wanted)
            if problem is not None:
                raise problem
            rows = conn.execute(
                f"SELECT {_INFO_COLUMNS} FROM m2bridge.sessions WHERE starts_with(id, %s)"
                ' ORDER BY id COLLATE "C" LIMIT 6',
                (wanted.lower(),),
            ).fetchall()
        if not rows:
            raise not_found(wanted)
        if len(rows) > 1:
            shown = ", ".join(str(r[0]) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise SessionNotFound(
                f"the session id prefix {wanted!r} is ambiguous: it matches {shown}; give more characters"
            )
        return _session_info(rows[0])

    def list(self, *, workspace: str | None = None, limit: int = 100) -> builtins.list[SessionInfo]:
        """This role's own sessions (not those shared with it), most recently updated first; only
        those of `workspace` when given."""
        query: LiteralString = f"SELECT {_INFO_COLUMNS} FROM m2bridge.sessions WHERE owner = current_user"
        params: builtins.list[object] = []
        if workspace is not None:
            query += " AND workspace = %s"
            params.append(workspace)
        query += ' ORDER BY updated DESC, created DESC, id COLLATE "C" LIMIT %s'
        with self._transaction(read_only=True) as conn:
            rows = conn.execute(query, (*params, max(0, limit))).fetchall()
        return [_session_info(row) for row in rows]

    def latest(self, workspace: str) -> SessionInfo | None:
        """The most recently updated session of `workspace`, if any."""
        found = self.list(workspace=workspace, limit=1)
        return found[0] if found else None

    def set_title(self, session_id: str, title: str) -> None:
        # Renaming is not activity: `updated` (and so the list order) stays as it was.
        with self._transaction() as conn:
            if (
                conn.execute(
                    "UPDATE m2bridge.sessions SET title = %s WHERE id = %s", (title, session_id)
                ).rowcount
                == 0
            ):
                raise self._missing(conn, session_id)

    def fork(self, session_id: str) -> SessionInfo:
        """A new, independent session of this role holding a verbatim copy of every turn stored so far
        (of one of its own sessions, or of one shared with it)."""
        for _ in range(10):
            with self._transaction() as conn:
                src = self._info(conn, session_id)
                now = time.time()
                row = conn.execute(
                    "INSERT INTO m2bridge.sessions (id, title, workspace, protocol, model, created,"
                    " updated, context_tokens, forked_from) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING RETURNING id",
                    (
                        _new_id(),
                        f"fork of {src.title or src.id}",
                        src.workspace,
                        src.protocol,
                        src.model,
                        now,
                        now,
                        src.context_tokens,
                        src.id,
                    ),
                ).fetchone()
                if row is None:
                    continue
                new_id = str(row[0])
                # Copied inside the database, so each payload stays byte-identical (never re-serialised).
                conn.execute(
                    "INSERT INTO m2bridge.turns (session_id, idx, kind, payload, created)"
                    " SELECT %s, idx, kind, payload, created FROM m2bridge.turns"
                    " WHERE session_id = %s ORDER BY idx",
                    (new_id, session_id),
                )
                return self._info(conn, new_id)
        raise SessionError("could not find a free session id; is the random number generator broken?")

    def remove(self, session_id: str, *, force: bool = False) -> None:
        """Delete a session and all its turns. Refused (SessionBusy) while another process holds a
        live turn lease on it, unless `force`."""
        with self._transaction() as conn:
            owner, expires, _, _ = self._lease_row(conn, session_id)
            if not force and held_by_live_other(owner, expires, time.time(), None):
                raise busy(session_id, owner)
            conn.execute("DELETE FROM m2bridge.sessions WHERE id = %s", (session_id,))

    def share(self, session_id: str, role: str) -> None:
        """Let database role `role` read this session (and fork it); only its owner can share it."""
        with self._transaction() as conn:
            self._lease_row(conn, session_id)  # ours, and there (a shared one's grantee cannot pass it on)
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                raise SessionError(f"there is no database role {role!r} to share session {session_id} with")
            conn.execute(
                "INSERT INTO m2bridge.shares (session_id, grantee, created) VALUES (%s, %s, %s)"
                " ON CONFLICT (session_id, grantee) DO NOTHING",
                (session_id, role, time.time()),
            )

    # -- turns ------------------------------------------------------------------------------------

    def load(self, session_id: str) -> LoadedSession:
        """The session and its turns. A record that cannot be read (corrupt, or a kind this version
        does not know) is skipped with a warning; the rest still loads."""
        with self._transaction(read_only=True) as conn:
            info = self._info(conn, session_id)
            rows = conn.execute(
                "SELECT idx, kind, payload, created FROM m2bridge.turns WHERE session_id = %s ORDER BY idx",
                (session_id,),
            ).fetchall()
        read, warnings = read_turns(session_id, ((int(i), str(k), bytes(p), float(c)) for i, k, p, c in rows))
        return LoadedSession(
            info=info,
            turns=[StoredTurn(idx, turn, created) for idx, turn, created in read],
            warnings=warnings,
        )

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
        (nothing is written); SessionBusy if a live lease is held by anyone but `lease`'s owner.
        """
        if lease is not None and lease.session_id != session_id:
            raise ValueError(f"the lease is for session {lease.session_id}, not {session_id}")
        check_turns(turns)
        # Serialised before the transaction, so the session's row is locked as briefly as possible;
        # the very bytes the SQLite store keeps as text.
        rows = [(turn.kind, TurnAdapter.dump_json(turn)) for turn in turns]
        held = lease if lease is not None and not lease.released else None
        with self._transaction() as conn:
            now = time.time()
            owner, expires, _, head = self._lease_row(conn, session_id)
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
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO m2bridge.turns (session_id, idx, kind, payload, created)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        [
                            (session_id, head + i, kind, payload, now)
                            for i, (kind, payload) in enumerate(rows)
                        ],
                    )
            changes = append_row_changes(
                now=now,
                appended=bool(rows),
                context_tokens=context_tokens,
                held_by=owner,
                lease_token=held.token if held is not None else None,
                lease_ttl=held.ttl if held is not None else None,
            )
            if changes:
                sets = ", ".join(f"{column} = %s" for column, _ in changes)
                conn.execute(
                    "UPDATE m2bridge.sessions SET " + sets + " WHERE id = %s",
                    (*(value for _, value in changes), session_id),
                )
        if held is not None:
            held.expires = now + held.ttl
        return head + len(rows)

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
        with self._transaction() as conn:
            now = time.time()
            held_by, expires, depth, _ = self._lease_row(conn, session_id)
            if held_by == token:
                depth += 1
            elif held_by_live_other(held_by, expires, now, token):
                raise busy(session_id, held_by)
            else:
                depth = 1  # free, expired, or its process is gone: take it over
            conn.execute(
                "UPDATE m2bridge.sessions SET lease_owner = %s, lease_expires = %s, lease_depth = %s"
                " WHERE id = %s",
                (token, now + ttl, depth, session_id),
            )
        return Lease(self, session_id, owner, ttl, now + ttl, token)

    def refresh_lease(self, lease: Lease) -> float:
        """`Lease.refresh`: the lease's new expiry."""
        with self._transaction() as conn:
            now = time.time()
            held_by, expires, _, _ = self._lease_row(conn, lease.session_id)
            if held_by == lease.token:
                conn.execute(
                    "UPDATE m2bridge.sessions SET lease_expires = %s WHERE id = %s",
                    (now + lease.ttl, lease.session_id),
                )
            elif held_by_live_other(held_by, expires, now, lease.token):
                raise busy(lease.session_id, held_by)  # it expired and someone else took it over
            else:
                conn.execute(
                    "UPDATE m2bridge.sessions SET lease_owner = %s, lease_expires = %s, lease_depth = 1"
                    " WHERE id = %s",
                    (lease.token, now + lease.ttl, lease.session_id),
                )
        return now + lease.ttl

    def release_lease(self, lease: Lease) -> None:
        """`Lease.release`."""
        with self._transaction() as conn:
            # Only our own lease: after an expiry takeover it belongs to someone else.
            conn.execute(
                "UPDATE m2bridge.sessions SET"
                " lease_depth = lease_depth - 1,"
                " lease_owner = CASE WHEN lease_depth > 1 THEN lease_owner END,"
                " lease_expires = CASE WHEN lease_depth > 1 THEN lease_expires END"
                " WHERE id = %s AND lease_owner = %s",
                (lease.session_id, lease.token),
            )

    def bypasses_row_security(self) -> bool:
        """Whether this role is a superuser or has BYPASSRLS: row-level security does not bind it, so
        it would see (and could change) every role's sessions."""
        with self._transaction(read_only=True) as conn:
            row = conn.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
        return bool(row is not None and row[0])

    # -- moving sessions between stores -----------------------------------------------------------

    def records(self, session_id: str) -> SessionRecords:
        """The session exactly as stored (see `m2bridge.sessions.copy`)."""
        with self._transaction(read_only=True) as conn:
            info = self._info(conn, session_id)
            found = conn.execute(
                "SELECT forked_from FROM m2bridge.sessions WHERE id = %s", (session_id,)
            ).fetchone()
            rows = conn.execute(
                "SELECT idx, kind, payload, created FROM m2bridge.turns WHERE session_id = %s ORDER BY idx",
                (session_id,),
            ).fetchall()
        forked_from = None if found is None or found[0] is None else str(found[0])
        turns = [(int(i), str(k), bytes(p), float(c)) for i, k, p, c in rows]
        return SessionRecords(info, forked_from, turns)

    def restore(self, records: SessionRecords) -> SessionInfo:
        """Store a copied session under its own id, every record as it was; SessionError if the id
        is taken here."""
        info = records.info
        with self._transaction() as conn:
            row = conn.execute(
                "INSERT INTO m2bridge.sessions (id, title, workspace, protocol, model, created, updated,"
                " context_tokens, forked_from) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
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
            ).fetchone()
            if row is None:
                raise SessionError(f"the session store {self.path} already holds a session {info.id}")
            if records.turns:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO m2bridge.turns (session_id, idx, kind, payload, created)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        [
                            (info.id, idx, kind, payload, created)
                            for idx, kind, payload, created in records.turns
                        ],
                    )
            return self._info(conn, info.id)

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()

    def __enter__(self) -> PostgresSessionStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresSessionStore({self.path!r})"
