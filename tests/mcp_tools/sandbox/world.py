"""A world for attacks: a root, a folder outside it, a fake home with secrets, m2bridge's data, a victim
process standing in for the server, and loopback listeners; all outside /tmp (which the sandbox replaces),
so a defence that fails is seen."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import SandboxMode, SandboxPolicy
from mcp_tools.tool_context import ToolContext, child_environment

API_KEY = "sk-attack-0123456789abcdef"
TOKEN_VARIABLE = "M2BRIDGE_TEST_TOKEN"


@dataclass
class Listener:
    """A loopback TCP server that answers every connection with `greeting`, and counts them."""

    port: int
    greeting: str
    connections: list[int] = field(default_factory=list[int])


@dataclass
class World:
    base: Path
    repo: Path
    outside: Path
    spill: Path
    home: Path
    m2home: Path
    victim: int  # a process outside the sandbox, standing in for the server
    tcp: Listener
    udp_port: int
    udp_received: list[bytes]
    token: str
    marker: str  # a name unique to this test, for files in shared places (/tmp, /dev/shm, /var/tmp)


def _tcp_listener(stop: threading.Event) -> Listener:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    listener = Listener(server.getsockname()[1], f"loopback-secret-{uuid.uuid4().hex}")

    def serve() -> None:
        with server:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    listener.connections.append(1)
                    conn.sendall(listener.greeting.encode() + b"\n")

    threading.Thread(target=serve, daemon=True).start()
    return listener


def _udp_listener(stop: threading.Event, received: list[bytes]) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)

    def serve() -> None:
        with sock:
            while not stop.is_set():
                try:
                    received.append(sock.recv(512))
                except TimeoutError:
                    continue

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    base = Path(tempfile.mkdtemp(prefix="m2bridge-attack-", dir="/var/tmp"))
    repo, outside, spill, home, m2home = (base / n for n in ("repo", "outside", "spill", "home", "m2home"))
    for folder in (repo, outside, spill, home / ".ssh", home / ".config" / "m2bridge", m2home):
        folder.mkdir(parents=True)
    (outside / "victim.txt").write_text("original\n")
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY----- ssh-secret-material\n")
    (home / ".config" / "m2bridge" / "config.toml").write_text(f'api_key = "{API_KEY}"\n')
    (home / ".netrc").write_text("machine example.com login me password netrc-secret\n")
    (m2home / "sessions.db").write_text("sessions-db-secret\n")
    (m2home / "http-token").write_text("http-token-secret\n")
    # The server's environment, as the sandbox reads it to find what to hide.
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("M2BRIDGE_HOME", str(m2home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "M2BRIDGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    marker = f"m2bridge-attack-{uuid.uuid4().hex}"
    victim = subprocess.Popen(["sleep", "313"], start_new_session=True)
    stop = threading.Event()
    received: list[bytes] = []
    try:
        yield World(
            base, repo, outside, spill, home, m2home, victim.pid, _tcp_listener(stop),
            _udp_listener(stop, received), received, uuid.uuid4().hex, marker,
        )  # fmt: skip
    finally:
        stop.set()
        victim.kill()
        victim.wait()
        # What an attack leaves when its defence failed: a mount on the root, files in shared places.
        if os.path.ismount(repo):
            subprocess.run(["umount", "-l", str(repo)], check=False)
        for shared in ("/tmp", "/dev/shm", "/var/tmp"):
            (Path(shared) / marker).unlink(missing_ok=True)
        shutil.rmtree(base, ignore_errors=True)


def context(world: World, mode: SandboxMode, *, allow_network: bool = False) -> ToolContext:
    env = {**os.environ, "MINIMAX_API_KEY": API_KEY, TOKEN_VARIABLE: world.token}
    return ToolContext(
        base_policy=PathPolicy.of([world.repo], read_only_roots=[world.spill]),
        spill=Spill(world.spill),
        workspace=None,  # type: ignore[arg-type]  # the process tools never use it
        child_env=child_environment(env),
        sandbox=SandboxPolicy(mode, allow_network=allow_network),
    )
