"""Group commit: the writes that threads of one process make at the same time share one transaction.

A durable commit waits for an fsync, milliseconds on a real disk, and SQLite lets one writer in at a
time. Sixteen agents appending at once, each in its own transaction, would queue for sixteen fsyncs.
Here each write is an operation on the connection; a thread queues its operation, then takes the
connection: whoever gets it runs every operation queued by then, its own included, in one transaction,
each in a savepoint, and commits once. A thread whose operation an earlier holder ran finds it done.

A refusal (the session moved on or is busy, a bad argument, a row the schema refuses) undoes only its
own operation. A failure of the transaction itself (locked for too long, disk full, damage) fails every
operation of the batch: nothing of it was written. The batch is durable (fsync) when any operation in it
asks to be; operations run in the order they were queued.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from copy import copy
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from m2bridge.errors import SessionError

__all__ = ["GroupCommit", "Operation"]

_T = TypeVar("_T")
Operation = Callable[[sqlite3.Connection], _T]
Transaction = Callable[[bool], AbstractContextManager[sqlite3.Connection]]

# What undoes one operation alone; anything else is a failure of the whole transaction.
_REFUSALS = (SessionError, ValueError, sqlite3.IntegrityError)


@dataclass
class _Pending(Generic[_T]):
    operation: Operation[_T]
    durable: bool
    result: _T | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Runs write operations on one connection, batching those queued at the same time.

    `lock` guards the connection (held for a whole batch); `transaction(durable)` opens one write
    transaction on it, committed with an fsync when `durable`."""

    def __init__(self, lock: threading.RLock, transaction: Transaction) -> None:
        self._lock = lock
        self._transaction = transaction
        self._pending: list[_Pending[Any]] = []
        self._pending_lock = threading.Lock()

    @property
    def queued(self) -> int:
        """How many operations wait for a batch (for tests that line several up)."""
        return len(self._pending)

    def run(self, operation: Operation[_T], *, durable: bool = True) -> _T:
        """Run `operation` in a committed transaction (with others queued meanwhile); its result."""
        mine: _Pending[_T] = _Pending(operation, durable)
        with self._pending_lock:
            self._pending.append(mine)
        with self._lock:
            if not mine.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._commit(batch, mine)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]  # set whenever error is None

    def _commit(self, batch: list[_Pending[Any]], mine: _Pending[Any]) -> None:
        try:
            with self._transaction(any(p.durable for p in batch)) as conn:
                if len(batch) == 1:  # alone: a refusal undoes the whole transaction, which is all its own
                    mine.result = mine.operation(conn)
                    return
                for pending in batch:
                    conn.execute("SAVEPOINT one_operation")
                    try:
                        pending.result = pending.operation(conn)
                    except _REFUSALS as exc:
                        conn.execute("ROLLBACK TO one_operation")
                        pending.error = exc
                    conn.execute("RELEASE one_operation")
        except BaseException as exc:
            for pending in batch:
                pending.result = None
                pending.error = exc if pending is mine else _copied(exc)
        finally:
            for pending in batch:
                pending.done = True


def _copied(exc: BaseException) -> BaseException:
    """`exc` for another thread to raise: one exception object raised in two threads would get
    their tracebacks mixed."""
    try:
        twin = copy(exc)
    except Exception:
        return exc
    twin.__cause__ = exc.__cause__
    return twin
