"""A throw-away PostgreSQL 15 server for the benchmarks: Debian's binaries, a temporary cluster.

The same set-up as the test suite's (tests/support/postgres.py; copied, since benchmarks do not import
tests): the cluster belongs to the unprivileged `postgres` user (the server refuses to run as root),
listens on a free port on 127.0.0.1 with its socket in a private folder, and keeps fsync and
synchronous_commit on, since durability is what the store promises. `running_postgres()` starts it and
stops it when the block ends, however it ends. `why_no_postgres()` says why a benchmark must skip it.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import quote

__all__ = ["PG_BIN", "PostgresServer", "running_postgres", "why_no_postgres"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_SUPERUSER = "m2admin"


def why_no_postgres() -> str | None:
    """None when a server can be started here; else the reason, to print with the skip."""
    if not (PG_BIN / "postgres").is_file():
        return f"PostgreSQL 15 is not installed ({PG_BIN}/postgres missing: apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as an unprivileged user"
    for module in ("psycopg", "psycopg_pool"):  # the store's driver and its pool
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'psycopg[binary]' psycopg_pool)"
    return None


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
    """One running cluster on 127.0.0.1:`port`, its files under `root`."""

    root: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, user: str = _SUPERUSER, password: str | None = None, database: str = "postgres") -> str:
        secret = self.password if password is None and user == _SUPERUSER else password
        auth = quote(user, safe="") + (f":{quote(secret, safe='')}" if secret else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # bench-made SQL, fixed names

    def database(self, name: str) -> str:
        """A new database owned by a login role of its own; the URL connecting as that role (an
        ordinary role, bound by row-level security, as a real user is)."""
        password = secrets.token_urlsafe(12)
        self.admin_sql(f"CREATE ROLE {name}_owner LOGIN PASSWORD '{password}'")
        self.admin_sql(f"CREATE DATABASE {name} OWNER {name}_owner TEMPLATE template0")
        return self.url(f"{name}_owner", password, name)

    @classmethod
    def start(cls, parent: Path | None = None) -> PostgresServer:
        """initdb and start a cluster in a new folder under `parent` (default: the temp folder)."""
        root = Path(tempfile.mkdtemp(prefix="m2bridge-bench-pg-", dir=parent))
        os.chmod(root, 0o700)
        _chown_to_postgres(root)
        server = cls(root=root, port=_free_port(), password=secrets.token_urlsafe(16))
        try:
            server._init_and_start()
        except subprocess.CalledProcessError as exc:
            # Captured output would otherwise be lost: say what initdb or the server said.
            log = server.root / "server.log"
            said = (exc.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
            server.stop()
            program = next((Path(a).name for a in exc.cmd if a.startswith(str(PG_BIN))), "postgres")
            raise RuntimeError(f"PostgreSQL did not start ({program}): {said.strip()[-2000:]}") from exc
        except BaseException:
            server.stop()
            raise
        return server

    def _init_and_start(self) -> None:
        sockets = self.root / "sockets"
        sockets.mkdir()
        _chown_to_postgres(sockets)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        _chown_to_postgres(pwfile)
        initdb = [
            str(PG_BIN / "initdb"),
            *("-D", str(self.data), "-U", _SUPERUSER, f"--pwfile={pwfile}"),
            *("--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C"),
            "--no-sync",  # the cluster itself is throw-away; the server's fsync stays on
        ]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True, timeout=120)
        pwfile.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {sockets}"
            " -c fsync=on -c synchronous_commit=on -c max_connections=100"
        )
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log")]
        subprocess.run(
            _as_postgres([*pg_ctl, "-o", options, "-w", "-t", "60", "start"]),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its files."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def running_postgres(parent: Path | None = None) -> Generator[PostgresServer]:
    """A started server, stopped when the block ends: normally, on an error, on Ctrl-C or on SIGTERM
    (turned into SystemExit so the block's cleanup runs; a server left behind would hold its port)."""
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        server = PostgresServer.start(parent)
        try:
            yield server
        finally:
            server.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
