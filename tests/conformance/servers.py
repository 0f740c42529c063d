"""The two servers the conformance suite runs against, each started as its own process on 127.0.0.1:
`m2bridge mcp --transport http` behind the auth proxy (the suite cannot send its token), and the reference
server `@modelcontextprotocol/server-everything` in its Streamable HTTP mode, which takes no token."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conformance.suite import EVERYTHING_ENTRY, NODE, ROOT, require_installed
from tests.support.auth_proxy import running_proxy
from tests.support.mcp_clients import http_server, server_env

__all__ = ["everything_server", "m2bridge_behind_proxy"]

_LOOPBACK_PRELOAD = Path(__file__).with_name("loopback.mjs")
_LISTENING = re.compile(r"loopback: listening on 127\.0\.0\.1:(\d+)")


@contextmanager
def m2bridge_behind_proxy(base: Path, token: str | None = None) -> Iterator[str]:
    """`m2bridge mcp` over HTTP with one root, the auth proxy in front; yields the proxy's MCP URL.

    `token` replaces the server's own token in the proxy, to show that a refused run fails the checks."""
    root = base / "project"
    root.mkdir(parents=True)
    (root / "README.md").write_text("a project for the conformance suite\n")
    home = base / "home"
    home.mkdir()
    env = {**server_env(home), "PYTHONPATH": str(ROOT)}
    with http_server([root], env) as server, running_proxy(server.url, token or server.token) as proxy:
        yield proxy + "/mcp"


@contextmanager
def everything_server(base: Path) -> Iterator[str]:
    """The reference server on 127.0.0.1 at a port of its choosing; yields its MCP URL."""
    require_installed()
    base.mkdir(parents=True, exist_ok=True)
    log = base / "server-everything.log"
    env = {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}", "PORT": "0"}
    with open(log, "w") as sink:  # a file, not a pipe nobody drains
        process = subprocess.Popen(
            [str(NODE), "--import", str(_LOOPBACK_PRELOAD), str(EVERYTHING_ENTRY), "streamableHttp"],
            env=env, cwd=base, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline and process.poll() is None:
            match = _LISTENING.search(log.read_text())
            port = match and int(match.group(1))
            time.sleep(0.05)
        if port is None:
            raise RuntimeError(f"server-everything did not start (exit {process.poll()}): {log.read_text()}")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        # Its own process group (start_new_session): npm-style wrappers leave no child behind.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
