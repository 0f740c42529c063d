"""Attacks on the HTTP transport: each request below must be refused before it reaches a tool."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mcp_clients import INITIALIZE_REQUEST, HttpServer, http_server, server_env

INIT = INITIALIZE_REQUEST
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


def test_the_server_binds_loopback_by_default(server: HttpServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    listening = _listening_addresses(server.port)
    assert listening == {"0100007F"}, listening


def _good_headers(server: HttpServer) -> dict[str, str]:
    return {
        "Host": f"127.0.0.1:{server.port}",
        "Origin": f"http://127.0.0.1:{server.port}",
        "Authorization": f"Bearer {server.token}",
    }


BAD_HEADERS = {
    "Host": "evil.example:80",
    "Origin": "http://evil.example",
    "Authorization": "Bearer " + "x" * 43,
}


def raw_post(port: int, header_lines: list[tuple[str, str]]) -> tuple[int, bytes]:
    """POST exactly these header lines (repeats included, which clients would merge) over a raw socket;
    the status and the response's first bytes."""
    body = json.dumps(INIT).encode()
    lines = [*header_lines, *ACCEPT.items(), ("Content-Length", str(len(body))), ("Connection", "close")]
    head = "POST /mcp HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in lines) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        answer = b""
        for _ in range(64):  # bounded: the status line and a short body are all we need
            if b"\r\n\r\n" in answer and len(answer) > 200:
                break
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def test_a_raw_request_with_each_guarded_header_once_is_served(server: HttpServer) -> None:
    # The control for the repeats below: the same request, each header once, passes every check.
    status, answer = raw_post(server.port, list(_good_headers(server).items()))
    assert status == 200, answer


@pytest.mark.parametrize("name", ["Authorization", "Host", "Origin"])
@pytest.mark.parametrize("order", ["good-then-bad", "bad-then-good", "good-twice"])
def test_a_repeated_authorization_host_or_origin_header_is_refused(
    server: HttpServer, name: str, order: str
) -> None:
    good = _good_headers(server)
    first, second = {
        "good-then-bad": (good[name], BAD_HEADERS[name]),
        "bad-then-good": (BAD_HEADERS[name], good[name]),
        "good-twice": (good[name], good[name]),
    }[order]
    others = [(other, value) for other, value in good.items() if other != name]
    status, answer = raw_post(server.port, [*others, (name, first), (name, second)])
    assert status == 400, answer
    if name != "Host":  # uvicorn's HTTP parser refuses a second Host itself, before the guard sees it
        assert f"more than one {name}".encode() in answer, answer


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


def test_the_server_prints_its_url_and_token_file_but_never_the_token(tmp_path: Path) -> None:
    """Everything the server writes, on stdout and stderr, from start-up through refused and served requests
    to its exit, holds the token file's path and not the token."""
    (tmp_path / "repo").mkdir()
    token_file = tmp_path / "home" / "mcp-http-token"  # where it must be, not where the output says
    with http_server([tmp_path / "repo"], server_env(tmp_path / "home")) as served:
        token = token_file.read_text().strip()
        refused = post(served, {"Authorization": "Bearer wrong"})
        assert refused.status_code == 401 and token not in refused.text
        assert post(served, {"Authorization": f"Bearer {token}"}).status_code == 200
    assert served.process.poll() is not None  # exited: all it will ever print is in the files
    printed = _bounded_read(served.stdout_log) + _bounded_read(served.stderr_log)
    assert len(token) >= 32
    assert token.encode() not in printed, "the server printed its bearer token"
    assert str(token_file).encode() in printed, "the server did not say where the token file is"


def _bounded_read(path: Path, limit: int = 4 * 1024 * 1024) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    assert len(data) <= limit, f"{path.name} grew past {limit} bytes"
    return data
