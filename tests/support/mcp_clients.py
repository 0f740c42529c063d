"""Real MCP clients for end-to-end tests: the SDK's client over stdio and over HTTP against `m2bridge mcp`
running as its own process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

# The legacy initialize handshake, and the 2026-07-28 protocol with no handshake.
PROTOCOL_MODES = ("legacy", "2026-07-28")
# A raw JSON-RPC initialize, for tests that speak the wire themselves (httpx, a pipe, a browser page).
INITIALIZE_REQUEST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "m2bridge-tests", "version": "1"},
    },
}


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home.parent),
        "M2BRIDGE_HOME": str(home),
        "M2BRIDGE_CONFIG": str(home.parent / "config.toml"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


def stdio_params(roots: Sequence[Path], env: dict[str, str], *flags: str) -> StdioServerParameters:
    args = ["-m", "m2bridge", "mcp", *flags]
    for root in roots:
        args += ["--root", str(root)]
    return StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(roots[0]))


@dataclass
class HttpServer:
    process: subprocess.Popen[str]
    url: str
    token_file: Path
    port: int
    stderr_log: Path  # what the server wrote on stderr, and on stdout: read them after it exits
    stdout_log: Path

    @property
    def token(self) -> str:
        return self.token_file.read_text().strip()


@contextmanager
def http_server(roots: Sequence[Path], env: dict[str, str], *flags: str) -> Iterator[HttpServer]:
    args = [sys.executable, "-m", "m2bridge", "mcp", "--transport", "http", "--port", "0", *flags]
    for root in roots:
        args += ["--root", str(root)]
    # Output goes to files: a pipe nobody drains could fill and stall the server.
    folder = Path(env["M2BRIDGE_HOME"]).parent
    log = folder / f"mcp-http-{len(list(folder.glob('mcp-http-*.log')))}.log"
    out_log = log.with_suffix(".out")
    with open(log, "w") as sink, open(out_log, "w") as out:
        process = subprocess.Popen(
            args, env=env, cwd=roots[0], stdin=subprocess.DEVNULL, stdout=out,
            stderr=sink, start_new_session=True,
        )  # fmt: skip
    try:
        url = token_file = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            text = log.read_text()
            url_match = re.search(r"(http://\S+/mcp)", text)
            token_match = re.search(r"bearer token in (\S+)", text)
            if url_match and token_match:
                url, token_file = url_match.group(1), Path(token_match.group(1))
                break
            time.sleep(0.05)
        assert url and token_file, f"server did not start (exit {process.poll()}): {log.read_text()}"
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        yield HttpServer(process, url, token_file, port, log, out_log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def http_client(server: HttpServer, mode: str, token: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(server.url, http_client=http), mode=mode) as client,
    ):
        yield client


@asynccontextmanager
async def stdio_client(params: StdioServerParameters, mode: str) -> AsyncIterator[Client]:
    async with Client(params, mode=mode) as client:
        yield client


def text_of(result: object) -> str:
    return "\n".join(getattr(item, "text", "") for item in getattr(result, "content", []))
