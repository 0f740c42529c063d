"""The two store backends the store's tests run against, and a plain connection to each.

`open_store` opens a store on the test's SQLite file or PostgreSQL database (as often as the test
needs: each open is another process's view); `raw` is a plain connection to the same database, as
another program would open it, for the tests that look at (or damage) what is stored.
"""

from __future__ import annotations

import sqlite3
from types import ModuleType
from typing import Any

from m2bridge.sessions import Store, StoreLocation, open_store_at
from m2bridge.sessions import store as sqlite_store_module

__all__ = ["BACKENDS", "Raw", "id_module", "open_store_on"]

BACKENDS = ["sqlite", "postgres"]


def open_store_on(location: StoreLocation) -> Store:
    return open_store_at(location)


def id_module(backend: str) -> ModuleType:
    """The module whose `_new_id` a store of `backend` draws its session ids from (for monkeypatch)."""
    if backend == "sqlite":
        return sqlite_store_module
    from m2bridge.sessions.postgres import store as postgres_store_module

    return postgres_store_module


class Raw:
    """A plain connection to the store's database: SQL in SQLite's spelling, translated for PostgreSQL."""

    def __init__(self, backend: str, location: StoreLocation) -> None:
        self.backend = backend
        self._conn: Any
        if backend == "sqlite":
            self._conn = sqlite3.connect(location, isolation_level=None)
            self.error: type[Exception] = sqlite3.DatabaseError
        else:
            import psycopg

            self._conn = psycopg.connect(str(location), autocommit=True)
            self.error = psycopg.Error

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "postgres":
            sql = sql.replace("?", "%s").replace("FROM turns", "FROM m2bridge.turns")
            sql = sql.replace("FROM sessions", "FROM m2bridge.sessions").replace(
                "UPDATE turns", "UPDATE m2bridge.turns"
            )
            sql = sql.replace("CAST(payload AS BLOB)", "payload")
        cur = self._conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description is not None else []

    def insert_turn(self, session_id: str, idx: int, kind: str, payload: str | bytes, created: float) -> None:
        table = "turns" if self.backend == "sqlite" else "m2bridge.turns"
        if self.backend == "postgres" and isinstance(payload, str):
            payload = payload.encode()
        mark = "?" if self.backend == "sqlite" else "%s"
        self._conn.execute(
            f"INSERT INTO {table} (session_id, idx, kind, payload, created) VALUES ({', '.join([mark] * 5)})",
            (session_id, idx, kind, payload, created),
        )

    def turn_rows(self, session_id: str) -> list[tuple[int, str, bytes, float]]:
        """Every record of a session as stored: (index, kind, payload bytes, created)."""
        rows = self.execute(
            "SELECT idx, kind, CAST(payload AS BLOB), created FROM turns WHERE session_id = ? ORDER BY idx",
            (session_id,),
        )
        return [(int(i), str(k), bytes(p), float(c)) for i, k, p, c in rows]

    def close(self) -> None:
        self._conn.close()
