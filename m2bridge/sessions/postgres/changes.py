"""The change feed's source on PostgreSQL: LISTEN for the schema's payload-free NOTIFY, then re-read the
followed sessions' heads under the reader's own role.

The schema (migration 2, see `schema.py`) notifies the channel `m2bridge_sessions`, with no payload,
whenever a session's turns change, a session comes or goes, or a share is given or withdrawn. Every
listener gets every notification, whoever's session it was: NOTIFY passes by row-level security. So
a notification only says "look again", and the look (`heads`) is an ordinary query under the
reader's own role, which row-level security binds: another role's session, even one the reader
names by id, reads as absent, that is gone, and is never reported as grown.

Async psycopg on the feed's own event loop, not a worker thread parked in a blocking wait: waiting
for a notification is one more socket the loop already watches, the feed's closing cancels the wait
at once, and no thread is held per follower (an editor, a `sessions watch`). Two connections of its
own, both autocommit: one LISTENs (psycopg holds a connection's lock while it waits for
notifications, so it cannot also answer queries), one reads the heads.

Every wait is bounded. After `check_every` seconds without a notification the listening connection
is asked `SELECT 1`, answered within `probe_timeout` or taken for dead: a connection dropped without
a word (a server restart, a failover, a proxy's idle limit, a cable) is noticed, and replaced within
`reconnect_within` seconds, or the feed ends with an error the reader is told. A new connection
LISTENs afresh and `changed()` returns at once, so whatever was committed while nobody listened is
read then. No bound is `asyncio.wait_for`: on Python 3.11 it swallows a cancellation
that lands just as the awaited call completes, and a feed being closed would run on, its closer
waiting for it forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Coroutine
from contextlib import aclosing, suppress
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from m2bridge.errors import SessionError, StoreUnavailable
from m2bridge.sessions.changes import ChangeFeed
from m2bridge.sessions.postgres.schema import NOTIFY_CHANNEL
from m2bridge.sessions.postgres.url import hide_password

__all__ = ["CHECK_EVERY", "PostgresChangeSource", "postgres_change_feed"]

logger = logging.getLogger("m2bridge.sessions")

# How long the listening connection may sit without a notification before it is checked.
CHECK_EVERY = 10.0
# How long that check, and each attempt to connect, may take.
_PROBE_TIMEOUT = 5.0
# How long a lost connection is tried again before the feed gives up (and tells its reader).
_RECONNECT_WITHIN = 60.0

_Connection = psycopg.AsyncConnection[tuple[Any, ...]]
_T = TypeVar("_T")


class PostgresChangeSource:
    """`ChangeSource` for the PostgreSQL store at `url`, as the role the URL names."""

    def __init__(
        self,
        url: str,
        *,
        check_every: float = CHECK_EVERY,
        probe_timeout: float = _PROBE_TIMEOUT,
        reconnect_within: float = _RECONNECT_WITHIN,
    ) -> None:
        if min(check_every, probe_timeout, reconnect_within) <= 0:
            raise ValueError("the check interval and the timeouts must be positive")
        self.url = url
        self.where = hide_password(url)
        self.check_every = check_every
        self.probe_timeout = probe_timeout
        self.reconnect_within = reconnect_within
        self._listener: _Connection | None = None
        self._reader: _Connection | None = None
        self._closed = False

    # -- connections ------------------------------------------------------------------------------

    async def _connect(self) -> _Connection:
        if self._closed:
            raise SessionError(f"the change feed of {self.where} is closed")
        async with asyncio.timeout(self.probe_timeout + 1):
            return await psycopg.AsyncConnection.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, int(self.probe_timeout)),
                application_name="m2bridge-feed",
            )

    async def _listen(self) -> _Connection:
        conn = await self._connect()
        try:
            listen = sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL))
            await _answered(conn, conn.execute(listen), self.probe_timeout)
        except BaseException:
            await conn.close()
            raise
        self._listener = conn
        return conn

    async def _listen_again(self, lost: BaseException) -> None:
        """A new listening connection, tried until `reconnect_within` has passed."""
        logger.info("change feed of %s: lost its connection (%s); connecting again", self.where, lost)
        deadline = time.monotonic() + self.reconnect_within
        pause = 0.1
        while True:
            try:
                await self._listen()
                return
            except (psycopg.Error, OSError, TimeoutError) as exc:
                if time.monotonic() + pause > deadline:
                    raise StoreUnavailable(
                        f"lost the change feed of the session store {self.where} and could not reconnect "
                        f"within {self.reconnect_within:g} s: {exc}".rstrip()
                    ) from exc
            await asyncio.sleep(pause)
            pause = min(2 * pause, 2.0)

    @staticmethod
    async def _drop(conn: _Connection | None) -> None:
        if conn is not None and not conn.closed:
            # A dead one has nothing more to release.
            with suppress(psycopg.Error, OSError, TimeoutError):
                async with asyncio.timeout(_PROBE_TIMEOUT):
                    await conn.close()

    # -- ChangeSource -----------------------------------------------------------------------------

    async def changed(self) -> None:
        conn = self._listener
        if conn is None:
            # The first call: listening from now on, and at once, so the feed reads what is there.
            try:
                await self._listen()
            except (psycopg.Error, OSError, TimeoutError) as exc:
                raise StoreUnavailable(
                    f"cannot follow the session store {self.where}: {exc}".rstrip()
                ) from exc
            return
        while True:
            try:
                if await self._notified(conn):
                    return
                await _answered(conn, conn.execute("SELECT 1"), self.probe_timeout)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                self._listener = None
                await self._drop(conn)
                await self._listen_again(exc)
                return  # notifications may have been missed meanwhile: the feed reads again

    async def _notified(self, conn: _Connection) -> bool:
        """Whether a notification came within `check_every` seconds; those that came with it, or
        right after, are taken too (one re-read covers them all)."""
        async with aclosing(conn.notifies(timeout=self.check_every, stop_after=1)) as first:
            async for _ in first:
                break
            else:
                return False
        async with aclosing(conn.notifies(timeout=0)) as more:
            async for _ in more:
                pass
        return True

    async def heads(self, session_ids: Collection[str]) -> dict[str, int]:
        ids = list(session_ids)
        if not ids:
            return {}
        try:
            try:
                return await self._read_heads(ids)
            except (psycopg.OperationalError, OSError, TimeoutError):
                # A dropped connection is replaced once; a second failure is the database's answer.
                reader, self._reader = self._reader, None
                await self._drop(reader)
                return await self._read_heads(ids)
        except (psycopg.OperationalError, OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"cannot read the session store {self.where}: {exc}".rstrip()) from exc
        except psycopg.Error as exc:  # a refusal (no grant on the table, say), not an outage
            raise SessionError(f"cannot read the session store {self.where}: {exc}".rstrip()) from exc

    async def _read_heads(self, ids: list[str]) -> dict[str, int]:
        if self._reader is None or self._reader.closed:
            self._reader = await self._connect()
        reader = self._reader

        async def read() -> dict[str, int]:
            # One query by primary key, under the reader's role: sessions it may not see are left out.
            cur = await reader.execute("SELECT id, head FROM m2bridge.sessions WHERE id = ANY(%s)", (ids,))
            return {str(i): int(h) for i, h in await cur.fetchall()}

        # Bounded like a reconnection: a server that answers nothing for that long is as good as gone.
        return await _answered(reader, read(), self.reconnect_within)

    async def aclose(self) -> None:
        self._closed = True
        listener, reader, self._listener, self._reader = self._listener, self._reader, None, None
        await self._drop(listener)
        await self._drop(reader)


async def _answered(conn: _Connection, work: Coroutine[Any, Any, _T], seconds: float) -> _T:
    """What `work` (a query on `conn`) returns, or TimeoutError after `seconds` with `conn` closed.

    Not `asyncio.timeout`: cancelled mid-query, psycopg asks the server to cancel the query and waits
    up to 10 s more for the answer, from a connection that has already stopped answering. Closing
    the connection instead ends the query at once; so does the feed's own closing."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        await conn.close()
        await _ended(task)
        raise
    if done:
        return task.result()
    await conn.close()
    await _ended(task)
    raise TimeoutError(f"no answer within {seconds:g} s")


async def _ended(task: asyncio.Task[Any]) -> None:
    """Let a query whose connection was just closed end (it fails at its next look at the socket)."""
    done, _ = await asyncio.wait({task}, timeout=1)
    if not done:
        task.cancel()
        await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: it is the closed connection's error, expected


def postgres_change_feed(url: str, **options: float) -> ChangeFeed:
    """The change feed of the PostgreSQL store at `url` (the role it names reads)."""
    return ChangeFeed(PostgresChangeSource(url, **options))
