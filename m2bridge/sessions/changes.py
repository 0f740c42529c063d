"""The store's change feed: which of the sessions a reader follows grew, whichever process wrote them.

Two parts, so another database slots in beside SQLite:

* a `ChangeSource` wakes the feed when the store *may* have changed, and re-reads the turn counts of
  the followed sessions. It carries no payload: a database's notifications (PostgreSQL's NOTIFY) pass
  by row-level security, so what changed is always re-read under the reader's own rights, and a
  session the reader may not see reads as absent.
* the `ChangeFeed` keeps the count each follower has seen and yields a `SessionChange` when a
  session's count goes up, or when it is gone.

On PostgreSQL the wake-up is a NOTIFY with no payload that the schema's triggers send at each commit
that changed a session (`m2bridge.sessions.postgres.changes`).

On SQLite the wake-up is `PRAGMA data_version` on a connection of the feed's own, checked every
`interval` seconds: it changes whenever *another* connection commits (this process's store
connections included, since the feed's connection never writes), and reading it costs a look at the
WAL index, not a query. Only when it changed does the feed run one query, by primary key, for the
followed sessions' `head` (the turn count the schema's triggers keep): no scan of the turns, no
reading of whole tables. Lease changes commit too, so a wake-up may find nothing grew; that costs the
one small query.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import anyio.to_thread

from m2bridge.errors import SessionError
from m2bridge.sessions.store import SessionStore

__all__ = [
    "DEFAULT_INTERVAL",
    "ChangeFeed",
    "ChangeSource",
    "SessionChange",
    "SqliteChangeSource",
    "change_feed_for",
    "sqlite_change_feed",
]

# How often SQLite's change counter is read: well inside the second a live view allows, and about ten
# thread hops a second while nothing happens.
DEFAULT_INTERVAL = 0.1
# Ids per query: far under SQLite's limit on bound parameters.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class SessionChange:
    session_id: str
    # The session's turn count now; None when it is gone (removed, or no longer visible to the reader).
    turns: int | None


class ChangeSource(Protocol):
    """What a store backend gives the feed."""

    async def changed(self) -> None:
        """Return once the store may have changed since the previous return; at once the first time
        (whatever happened before the source started watching is then read by the feed)."""
        ...

    async def heads(self, session_ids: Collection[str]) -> dict[str, int]:
        """The turn count of each of these sessions the reader can see; absent ones are left out."""
        ...

    async def aclose(self) -> None: ...


class SqliteChangeSource:
    """`ChangeSource` for the SQLite store at `path`: `PRAGMA data_version` every `interval` seconds."""

    def __init__(self, path: str | Path, interval: float = DEFAULT_INTERVAL) -> None:
        if interval <= 0:
            raise ValueError("the interval must be positive")
        self.path = Path(path)
        self.interval = interval
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._closed = False
        # The one connection is used from worker threads, one call at a time.
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise SessionError(f"the change feed of {self.path} is closed")
        if self._conn is None:
            # mode=rw: the feed never creates a store file; it follows one that a store opened.
            uri = f"file:{quote(str(self.path))}?mode=rw"
            try:
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            except sqlite3.Error as exc:
                raise SessionError(f"cannot follow the session store {self.path}: {exc}") from exc
        return self._conn

    def _data_version(self) -> int:
        with self._lock:
            try:
                return int(self._connection().execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise SessionError(f"cannot follow the session store {self.path}: {exc}") from exc

    def _heads(self, session_ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._lock:
            conn = self._connection()
            try:
                for start in range(0, len(session_ids), _IDS_PER_QUERY):
                    chunk = session_ids[start : start + _IDS_PER_QUERY]
                    marks = ", ".join("?" * len(chunk))
                    rows = conn.execute(f"SELECT id, head FROM sessions WHERE id IN ({marks})", chunk)
                    found.update((str(i), int(h)) for i, h in rows)
            except sqlite3.Error as exc:
                raise SessionError(f"cannot read the session store {self.path}: {exc}") from exc
        return found

    async def changed(self) -> None:
        first = self._version is None
        while True:
            version = await anyio.to_thread.run_sync(self._data_version)
            if first or version != self._version:
                self._version = version
                return
            await asyncio.sleep(self.interval)

    async def heads(self, session_ids: Collection[str]) -> dict[str, int]:
        ids = list(session_ids)
        if not ids:
            return {}
        return await anyio.to_thread.run_sync(self._heads, ids)

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.close)  # it may wait for a read in flight

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class ChangeFeed:
    """The sessions a reader follows, and their changes as they land: `await feed.next()`, or
    `async for change in feed`, between `start()` (or `async with feed`) and `aclose()`.

    `follow(id, turns)` names the count the reader already shows, so nothing between its read and the
    feed's is missed: the next read compares against it. Counts only grow (turns are append-only), so
    a read older than a count the feed already knows is no change. Changes not yet taken are kept one
    per session (the latest), so a slow reader costs memory per followed session, not per turn.
    `next()` may be cancelled (a timeout) without losing a change.
    """

    def __init__(self, source: ChangeSource) -> None:
        self.source = source
        self._seen: dict[str, int] = {}
        self._pending: dict[str, SessionChange] = {}
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    @property
    def followed(self) -> dict[str, int]:
        return dict(self._seen)

    def follow(self, session_id: str, turns: int) -> None:
        """Report `session_id` from now on whenever it has more than `turns` turns (or is gone)."""
        self._seen[session_id] = turns
        self._pending.pop(session_id, None)
        self._wake.set()

    def forget(self, session_id: str) -> None:
        self._seen.pop(session_id, None)
        self._pending.pop(session_id, None)

    def forget_all(self) -> None:
        self._seen.clear()
        self._pending.clear()

    async def follow_now(self, session_id: str) -> int | None:
        """Follow the session from its count as it is now, without reporting what led to it (the reader
        ran those turns itself): only what lands later is reported. Its count, or None when it is gone
        (then it is not followed)."""
        turns = (await self.source.heads([session_id])).get(session_id)
        if turns is None:
            self.forget(session_id)
            return None
        self._seen[session_id] = max(turns, self._seen.get(session_id, turns))
        pending = self._pending.get(session_id)
        if pending is not None and pending.turns is not None and pending.turns <= turns:
            del self._pending[session_id]
        return turns

    def start(self) -> None:
        """Start watching (on the running loop); idempotent."""
        if self._pump is None:
            self._pump = asyncio.ensure_future(self._run())

    async def next(self) -> SessionChange:
        """The next change (the oldest session's latest), waiting for one."""
        self.start()
        while not self._pending:
            if self._failure is not None:
                raise self._failure
            self._ready.clear()
            await self._ready.wait()
        session_id = next(iter(self._pending))
        return self._pending.pop(session_id)

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> SessionChange:
        return await self.next()

    def _compare(self, heads: dict[str, int], asked: Collection[str]) -> None:
        for session_id in asked:
            seen = self._seen.get(session_id)
            if seen is None:
                continue  # forgotten while the read ran
            now = heads.get(session_id)
            if now is None:
                del self._seen[session_id]
                self._pending[session_id] = SessionChange(session_id, None)
            elif now > seen:
                self._seen[session_id] = now
                self._pending[session_id] = SessionChange(session_id, now)
        if self._pending:
            self._ready.set()

    async def _listen(self) -> None:
        while True:
            await self.source.changed()
            self._wake.set()

    async def _run(self) -> None:
        listener = asyncio.ensure_future(self._listen())
        waiting: asyncio.Task[bool] | None = None
        try:
            while True:
                waiting = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waiting, listener}, return_when=asyncio.FIRST_COMPLETED)
                if listener.done():
                    listener.result()  # the source failed: its error ends the feed
                self._wake.clear()
                asked = list(self._seen)
                if asked:
                    self._compare(await self.source.heads(asked), asked)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # told to the reader at its next `next()`
            self._failure = exc
            self._ready.set()
        finally:
            for task in (listener, waiting):
                if task is not None:
                    task.cancel()
            await asyncio.wait({listener})  # its end, without its cancellation or error

    async def aclose(self) -> None:
        """Stop watching and close the source."""
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            await asyncio.wait({pump})
        await self.source.aclose()

    async def __aenter__(self) -> ChangeFeed:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def sqlite_change_feed(path: str | Path, interval: float = DEFAULT_INTERVAL) -> ChangeFeed:
    """The change feed of the SQLite store at `path`."""
    return ChangeFeed(SqliteChangeSource(path, interval))


def change_feed_for(store: object, interval: float = DEFAULT_INTERVAL) -> ChangeFeed | None:
    """The change feed of an open store (the sync object, `AsyncSessionStore.sync`): SQLite's change
    counter checked every `interval` seconds, or PostgreSQL's LISTEN/NOTIFY (which needs no
    interval); None for a store that has none."""
    if isinstance(store, SessionStore):
        return sqlite_change_feed(store.path, interval)
    try:  # only here, never for SQLite: its users need not have psycopg installed
        from m2bridge.sessions.postgres.changes import postgres_change_feed
        from m2bridge.sessions.postgres.store import PostgresSessionStore
    except ImportError:
        return None
    if isinstance(store, PostgresSessionStore):
        return postgres_change_feed(store.url)
    return None
