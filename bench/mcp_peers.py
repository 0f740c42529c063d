"""The MCP servers the benchmarks compare, and a quiet stdio client for them.

Ours runs from this interpreter (run the benches with `.venv/bin/python`); the bare SDK echo server is
bench/echo_server.py; the peers are what `scripts/bench-peers` installs into bench/.peers/. A peer that
is not installed is reported (with how to install it) and left out, so a bench still measures the rest.
"""

from __future__ import annotations

import logging
import shutil
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client

__all__ = [
    "BENCH",
    "PEERS",
    "ROOT",
    "Client",
    "ConnectFailed",
    "Server",
    "connect",
    "echo",
    "filesystem",
    "git",
    "median_ms",
    "median_seconds",
    "minimax",
    "ours",
    "ours_env",
    "rg_binary",
    "stray_lines",
]

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PEERS = BENCH / ".peers"
INSTALL = "install the peers with scripts/bench-peers"


@dataclass(frozen=True)
class Server:
    name: str
    params: StdioServerParameters | None
    missing: str = ""
    install: str = INSTALL

    def available(self) -> bool:
        if self.params is None:
            print(f"  peer {self.name} is missing ({self.missing}): {self.install}; measuring the others")
            return False
        return True


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = get_default_environment()
    env.update(extra or {})
    return env


def ours_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Isolated from the user's config and data: a fresh M2BRIDGE_HOME and no config file."""
    env = {"M2BRIDGE_HOME": str(home), "M2BRIDGE_CONFIG": str(home / "no-config.toml")}
    env.update(extra or {})
    return _env(env)


def ours(
    root: Path, home: Path, *flags: str, script: bool = False, env: dict[str, str] | None = None
) -> Server:
    """`python -m m2bridge mcp --root ROOT`, or the installed `m2bridge` script beside this interpreter."""
    if script:
        entry = Path(sys.executable).parent / "m2bridge"
        if not entry.is_file():
            return Server("m2bridge (script)", None, f"no {entry}", "install m2bridge with scripts/setup")
        command, args = str(entry), ["mcp"]
    else:
        command, args = sys.executable, ["-m", "m2bridge", "mcp"]
    params = StdioServerParameters(
        command=command,
        args=[*args, "--root", str(root), *flags],
        env=ours_env(home, env),
        cwd=str(ROOT),
    )
    return Server("m2bridge (script)" if script else "m2bridge", params)


def echo() -> Server:
    params = StdioServerParameters(
        command=sys.executable, args=[str(BENCH / "echo_server.py")], env=_env(), cwd=str(ROOT)
    )
    return Server("sdk-echo", params)


def filesystem(root: Path) -> Server:
    entry = PEERS / "node/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
    node = shutil.which("node")
    if not entry.is_file() or node is None:
        why = f"no {entry.relative_to(ROOT)}" if node else "node is not installed"
        return Server("server-filesystem", None, why)
    return Server("server-filesystem", StdioServerParameters(command=node, args=[str(entry), str(root)]))


def git(repo: Path) -> Server:
    entry = PEERS / "venv/bin/mcp-server-git"
    if not entry.is_file():
        return Server("mcp-server-git", None, f"no {entry.relative_to(ROOT)}")
    return Server(
        "mcp-server-git", StdioServerParameters(command=str(entry), args=["--repository", str(repo)])
    )


def minimax(home: Path) -> Server:
    entry = PEERS / "venv/bin/minimax-mcp"
    if not entry.is_file():
        return Server("minimax-mcp", None, f"no {entry.relative_to(ROOT)}")
    # It refuses to start without both; nothing here calls its API, so they point at a closed port.
    env = _env(
        {
            "MINIMAX_API_KEY": "k",
            "MINIMAX_API_HOST": "http://127.0.0.1:9",
            "MINIMAX_MCP_BASE_PATH": str(home),
        }
    )
    return Server("minimax-mcp", StdioServerParameters(command=str(entry), env=env, cwd=str(home)))


def rg_binary() -> str | None:
    """The rg our server uses: beside this interpreter (the ripgrep wheel), else on PATH."""
    beside = Path(sys.executable).parent / "rg"
    return str(beside) if beside.is_file() else shutil.which("rg")


@asynccontextmanager
async def connect(params: StdioServerParameters, timeout: float = 60) -> AsyncIterator[Client]:
    """A connected client; the server's stderr is kept aside and shown only if connecting fails.

    Every request, the handshake included, gives up after `timeout` seconds (the client's read timeout:
    a cancel scope cannot wrap `__aenter__`, whose task group outlives it)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        client = Client(stdio_client(params, errlog=errlog), read_timeout_seconds=timeout)
        try:
            await client.__aenter__()
        except Exception as err:
            errlog.seek(0)
            tail = errlog.read()[-600:].strip()
            raise ConnectFailed(f"{_describe(err)}" + (f"; stderr: {tail}" if tail else "")) from err
        try:
            yield client
        except BaseException as exc:
            if not await client.__aexit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            await client.__aexit__(None, None, None)


def _describe(err: BaseException) -> str:
    while isinstance(err, BaseExceptionGroup) and len(err.exceptions) == 1:
        err = err.exceptions[0]
    return f"{type(err).__name__}: {err}"


class ConnectFailed(Exception):
    pass


class _StrayOutput(logging.Filter):
    """Counts (and keeps off the terminal) the client's tracebacks for non-JSON lines a server prints."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "Failed to parse JSONRPC message" in record.getMessage():
            self.count += 1
            return False
        return True


stray_lines = _StrayOutput()
logging.getLogger("mcp.client.stdio").addFilter(stray_lines)


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def median_seconds(samples: Sequence[float]) -> float:
    return statistics.median(samples)
