"""A real PostgreSQL 15 server for the tests: Debian's binaries, a temporary cluster, a database per test.

The server refuses to run as root, so the cluster belongs to the unprivileged `postgres` user
(`runuser -u postgres --`). One server per pytest-xdist worker (`postgres_server`, session-scoped),
listening on a free loopback port with its socket in a private folder, stopped when the worker ends.
Each test gets a database of its own (`postgres_db`: CREATE DATABASE ... TEMPLATE template0 takes
milliseconds) and a login role of its own that owns it, so the store under test runs as an ordinary
role (never the superuser, which row-level security would not bind). `PostgresDatabase.role()` makes
more roles for the row-level-security tests. fsync stays on: durability is what the store promises.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

__all__ = [
    "PG_BIN",
    "PostgresDatabase",
    "PostgresServer",
    "postgres_db",
    "postgres_server",
    "require_postgres",
]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_SUPERUSER = "m2admin"


def require_postgres() -> None:
    """Skip the test when the server binaries are not installed (`apt-get install postgresql`)."""
    if not (PG_BIN / "postgres").is_file():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}/postgres missing: apt-get install postgresql)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # As root, drop to the postgres user; as anyone else, the server runs as that user already.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@dataclass
class PostgresServer:
    """One running cluster; `url(...)` builds connection URLs to it."""

    root: Path
    port: int
    password: str
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    def url(self, user: str = _SUPERUSER, password: str | None = None, database: str = "postgres") -> str:
        secret = self.password if password is None and user == _SUPERUSER else password
        auth = quote(user, safe="") + (f":{quote(secret, safe='')}" if secret else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database=database), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # test-made SQL, names from fresh_name()

    def fresh_name(self, prefix: str) -> str:
        return f"{prefix}_{os.getpid()}_{next(self._names)}"

    @classmethod
    def start(cls) -> PostgresServer:
        root = Path(tempfile.mkdtemp(prefix="m2bridge-pg-"))
        os.chmod(root, 0o700)
        _chown_to_postgres(root)
        server = cls(root=root, port=_free_port(), password=secrets.token_urlsafe(16))
        server.sockets.mkdir()
        _chown_to_postgres(server.sockets)
        pwfile = root / "pw"
        pwfile.write_text(server.password + "\n")
        _chown_to_postgres(pwfile)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(server.data),
                    "-U",
                    _SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",  # the cluster itself is throw-away; the server's fsync stays on
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.sockets}"
            " -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=16MB"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(server.data),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        return server

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class PostgresDatabase:
    """A fresh database on the test's server, owned by a login role of its own (`url`)."""

    server: PostgresServer
    name: str
    owner: str
    owner_password: str

    @property
    def url(self) -> str:
        """Connects as the owning role: an ordinary role, bound by row-level security."""
        return self.server.url(self.owner, self.owner_password, self.name)

    def role(self, prefix: str = "user") -> tuple[str, str]:
        """A new login role that may use this database; (its URL, its name)."""
        name = self.server.fresh_name(prefix)
        password = secrets.token_urlsafe(12)
        self.server.admin_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        self.server.admin_sql(f"GRANT CONNECT, CREATE ON DATABASE {self.name} TO {name}")
        return self.server.url(name, password, self.name), name

    def admin_url(self) -> str:
        return self.server.url(database=self.name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    require_postgres()
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    server = postgres_server
    name = server.fresh_name("db")
    owner = server.fresh_name("owner")
    password = secrets.token_urlsafe(12)
    server.admin_sql(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
    server.admin_sql(f"CREATE DATABASE {name} OWNER {owner} TEMPLATE template0")
    # PostgreSQL 15 no longer lets every role create in the public schema; the store uses its own.
    yield PostgresDatabase(server, name, owner, password)
    server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
