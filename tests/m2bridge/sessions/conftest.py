"""Fixtures for the store's tests: every test written against `open_store` runs on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from m2bridge.sessions import Store, StoreLocation
from tests.m2bridge.sessions.backends import BACKENDS, Raw, open_store_on
from tests.support.postgres import postgres_db, postgres_server

__all__ = ["backend", "location", "open_store", "postgres_db", "postgres_server", "raw", "store"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path, request: pytest.FixtureRequest) -> StoreLocation:
    """Where the test's store is: a fresh SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return tmp_path / "sessions.db"
    return request.getfixturevalue("postgres_db").url


@pytest.fixture
def open_store(location: StoreLocation) -> Iterator[Callable[[], Store]]:
    """Opens another store on the test's database (another process's view); all closed at the end."""
    opened: list[Store] = []

    def open_one() -> Store:
        store = open_store_on(location)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()


@pytest.fixture
def raw(backend: str, location: StoreLocation) -> Iterator[Raw]:
    """A plain connection to the same database, as another program would open it."""
    conn = Raw(backend, location)
    yield conn
    conn.close()
