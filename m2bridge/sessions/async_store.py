"""The session store for async code: the same operations, awaited, with the database work in a thread.

Every store call ends in the database (SQLite, or PostgreSQL through a connection pool: both stores are
synchronous, so the engine has one path for both), and a durable append waits for an fsync
(milliseconds on a real disk) or a server's commit.
Called on the event loop, that wait stops everything else the loop serves: sixteen `m2_task` agents
would take turns at the disk, and an editor's keystrokes would queue behind them. Here each call runs
in a worker thread (`anyio.to_thread.run_sync`) on the one `SessionStore`, whose locks keep each of
its connections to one thread at a time and whose group commit lets appends from many threads share
one fsync (see `store.py`).

Writes are shielded from cancellation: an append (or lease change) runs to its end and returns what
it did even in a task being cancelled, which gets the cancellation at its next await. So an
incomplete turn stored on the way out of a cancelled turn is stored, a caller always learns the new
head, and no lease is taken without its holder knowing it has to give it back.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from functools import partial
from types import TracebackType
from typing import TypeVar

import anyio.to_thread

from m2bridge.messages import Turn
from m2bridge.sessions.contract import Store
from m2bridge.sessions.opening import StoreLocation, open_store_at
from m2bridge.sessions.store import Lease, LoadedSession, SessionInfo
from m2bridge.sessions.unanswered import drop_if_unanswered

__all__ = ["AsyncLease", "AsyncSessionStore"]

_T = TypeVar("_T")


async def _off_loop(call: Callable[[], _T]) -> _T:
    return await anyio.to_thread.run_sync(call)


async def _write_off_loop(call: Callable[[], _T]) -> _T:
    with anyio.CancelScope(shield=True):
        return await anyio.to_thread.run_sync(call)
    raise AssertionError("unreachable: a shielded scope is never cancelled, so it swallows nothing")


class AsyncLease:
    """A turn lease (`Lease`) whose refresh and release run off the loop; `async with` releases it."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease

    @property
    def session_id(self) -> str:
        return self.lease.session_id

    @property
    def expires(self) -> float:
        return self.lease.expires

    @property
    def released(self) -> bool:
        return self.lease.released

    async def refresh(self) -> None:
        await _write_off_loop(self.lease.refresh)

    async def release(self) -> None:
        if not self.lease.released:
            await _write_off_loop(self.lease.release)

    async def __aenter__(self) -> AsyncLease:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()  # shielded: a lease left behind would keep the session busy

    def __repr__(self) -> str:
        return f"AsyncLease({self.lease!r})"


class AsyncSessionStore:
    """A store's operations as coroutines. Wraps a store (`sync`), which stays usable as is."""

    def __init__(self, store: Store) -> None:
        self.sync = store

    @classmethod
    async def open(cls, location: StoreLocation) -> AsyncSessionStore:
        """Open (and if needed create or migrate) the store file or database, off the loop."""
        return cls(await _off_loop(partial(open_store_at, location)))

    @property
    def path(self) -> str:
        return str(self.sync.path)

    # -- sessions ---------------------------------------------------------------------------------

    async def create(self, *, workspace: str, protocol: str, model: str, title: str = "") -> SessionInfo:
        return await _write_off_loop(
            partial(self.sync.create, workspace=workspace, protocol=protocol, model=model, title=title)
        )

    async def get(self, session_id: str) -> SessionInfo:
        return await _off_loop(partial(self.sync.get, session_id))

    async def resolve(self, id_or_prefix: str) -> SessionInfo:
        return await _off_loop(partial(self.sync.resolve, id_or_prefix))

    async def list(self, *, workspace: str | None = None, limit: int = 100) -> builtins.list[SessionInfo]:
        return await _off_loop(partial(self.sync.list, workspace=workspace, limit=limit))

    async def latest(self, workspace: str) -> SessionInfo | None:
        return await _off_loop(partial(self.sync.latest, workspace))

    async def set_title(self, session_id: str, title: str) -> None:
        await _write_off_loop(partial(self.sync.set_title, session_id, title))

    async def fork(self, session_id: str) -> SessionInfo:
        return await _write_off_loop(partial(self.sync.fork, session_id))

    async def remove(self, session_id: str, *, force: bool = False) -> None:
        await _write_off_loop(partial(self.sync.remove, session_id, force=force))

    async def drop_if_unanswered(self, session_id: str, owner: str) -> bool:
        """`unanswered.drop_if_unanswered`, off the loop."""
        return await _write_off_loop(partial(drop_if_unanswered, self.sync, session_id, owner))

    # -- turns ------------------------------------------------------------------------------------

    async def load(self, session_id: str) -> LoadedSession:
        return await _off_loop(partial(self.sync.load, session_id))

    async def append(
        self,
        session_id: str,
        turns: Sequence[Turn],
        *,
        expected_head: int,
        lease: AsyncLease | Lease | None = None,
        context_tokens: int | None = None,
    ) -> int:
        """`SessionStore.append`: durable when it returns; appending with the lease refreshes it."""
        held = lease.lease if isinstance(lease, AsyncLease) else lease
        return await _write_off_loop(
            partial(
                self.sync.append,
                session_id,
                turns,
                expected_head=expected_head,
                lease=held,
                context_tokens=context_tokens,
            )
        )

    # -- leases -----------------------------------------------------------------------------------

    async def acquire(self, session_id: str, owner: str, ttl: float = 30.0) -> AsyncLease:
        return AsyncLease(await _write_off_loop(partial(self.sync.acquire, session_id, owner, ttl)))

    async def begin_turn(
        self,
        session_id: str,
        owner: str,
        opening: Callable[[LoadedSession], Sequence[Turn]],
        ttl: float = 30.0,
    ) -> tuple[AsyncLease, LoadedSession, int]:
        """What a turn starts with, in one trip to a worker thread (under load every trip waits for the
        loop): take the lease, load the session, and durably append the turns `opening` makes of it (the
        user's prompt). Returns the lease, the session as loaded (before the append) and the new head.
        Anything that fails on the way gives the lease back."""

        def start() -> tuple[Lease, LoadedSession, int]:
            lease = self.sync.acquire(session_id, owner, ttl)
            try:
                loaded = self.sync.load(session_id)
                head = self.sync.append(session_id, opening(loaded), expected_head=loaded.head, lease=lease)
                return lease, loaded, head
            except BaseException:
                lease.release()
                raise

        lease, loaded, head = await _write_off_loop(start)
        return AsyncLease(lease), loaded, head

    # -- lifetime ---------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await _off_loop(self.sync.close)

    def close(self) -> None:
        self.sync.close()

    def __repr__(self) -> str:
        return f"AsyncSessionStore({self.path!r})"
