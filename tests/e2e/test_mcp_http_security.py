"""Attacks on the HTTP transport: each request below must be refused before it reaches a tool."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mcp_clients import HttpServer, http_server, server_env

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    base = tmp_path_factory.mktemp("http")
    (base / "repo").mkdir()
    with http_server([base / "repo"], server_env(base / "home")) as running:
        yield running


def post(server: HttpServer, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url, json=INIT, headers={**ACCEPT, **headers}, timeout=10)


def test_a_request_without_a_token_gets_401(server: HttpServer) -> None:
    response = post(server, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_request_with_a_wrong_token_gets_401(server: HttpServer) -> None:
    assert post(server, {"Authorization": "Bearer " + "x" * 43}).status_code == 401
    assert post(server, {"Authorization": server.token}).status_code == 401
    assert post(server, {"Authorization": f"Bearer {server.token}x"}).status_code == 401


def test_a_request_from_another_origin_gets_403_even_with_the_token(server: HttpServer) -> None:
    auth = {"Authorization": f"Bearer {server.token}"}
    assert post(server, {**auth, "Origin": "http://evil.example"}).status_code == 403
    assert post(server, {**auth, "Origin": "http://localhost:1"}).status_code == 403


def test_a_request_for_another_host_gets_421_as_in_dns_rebinding(server: HttpServer) -> None:
    auth = {"Authorization": f"Bearer {server.token}"}
    assert post(server, {**auth, "Host": f"evil.example:{server.port}"}).status_code == 421
    assert post(server, {**auth, "Host": "127.0.0.1:1"}).status_code == 421


def test_the_right_token_host_and_origin_are_served(server: HttpServer) -> None:
    auth = {"Authorization": f"Bearer {server.token}"}
    assert post(server, auth).status_code == 200
    assert post(server, {**auth, "Origin": f"http://127.0.0.1:{server.port}"}).status_code == 200


def test_the_server_binds_loopback_by_default_and_prints_no_token(server: HttpServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    listening = _listening_addresses(server.port)
    assert listening == {"0100007F"}, listening


def test_the_token_file_is_private(server: HttpServer) -> None:
    assert stat.S_IMODE(server.token_file.stat().st_mode) == 0o600
    assert len(server.token) >= 32


def test_binding_a_non_loopback_address_needs_an_explicit_flag(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "m2bridge",
            "mcp",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--root",
            str(tmp_path),
        ],
        env=server_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "--allow-non-loopback" in proc.stderr


def _listening_addresses(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found
