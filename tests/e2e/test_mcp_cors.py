"""CORS on the HTTP transport, against a real `m2bridge mcp --http --allow-origin PAGE` with httpx.

A browser's preflight carries no token, so one from PAGE is answered without it; nothing else is. Answers
to PAGE name it and expose the session header; any other Origin gets no CORS header and today's refusal.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.mcp_clients import INITIALIZE_REQUEST, HttpServer, http_server, server_env

PAGE = "http://127.0.0.1:5173"  # the allowed page; nothing needs to listen there for these requests
INIT = INITIALIZE_REQUEST
JSON = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
ASKED_HEADERS = {
    "authorization",
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    base = tmp_path_factory.mktemp("cors")
    (base / "repo").mkdir()
    (base / "repo" / "notes.txt").write_text("read from a page\n")
    # Written as a user might type it: the server compares it as the browser sends it.
    with http_server(
        [base / "repo"], server_env(base / "home"), "--allow-origin", "HTTP://127.0.0.1:5173/"
    ) as s:
        yield s


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def options(server: HttpServer, headers: dict[str, str], path: str = "/mcp") -> httpx.Response:
    return httpx.request("OPTIONS", f"http://127.0.0.1:{server.port}{path}", headers=headers, timeout=10)


def token(server: HttpServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


def listed(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


def test_a_preflight_from_an_allowed_origin_is_answered_without_the_token(server: HttpServer) -> None:
    response = options(server, {"Origin": PAGE, **PREFLIGHT})
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == PAGE
    assert listed(response.headers["access-control-allow-methods"]) == {"get", "post", "delete", "options"}
    assert listed(response.headers["access-control-allow-headers"]) >= ASKED_HEADERS
    assert 0 < int(response.headers["access-control-max-age"]) <= 7200
    assert "origin" in listed(response.headers["vary"])


def test_a_preflight_answer_grants_nothing_but_permission_to_ask(server: HttpServer) -> None:
    response = options(server, {"Origin": PAGE, **PREFLIGHT})
    assert response.content == b""
    assert "mcp-session-id" not in response.headers
    assert "*" not in response.headers["access-control-allow-origin"]
    assert all("*" not in value for value in cors_headers(response).values())
    # The token is a header the page sets; no cookie or HTTP authentication is ever invited.
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": PAGE},
        {"Access-Control-Request-Method": "POST"},
        {},
        {"Origin": PAGE, "Access-Control-Request-Method": "PUT"},
        {"Origin": PAGE, "Access-Control-Request-Method": "post"},
    ],
    ids=["no-request-method", "no-origin", "bare", "a-method-mcp-does-not-use", "method-in-lower-case"],
)
def test_an_options_request_that_is_not_an_allowed_preflight_still_needs_the_token(
    server: HttpServer, headers: dict[str, str]
) -> None:
    response = options(server, headers)
    assert response.status_code == 401
    assert "access-control-allow-methods" not in response.headers


def test_a_preflight_for_another_path_still_needs_the_token(server: HttpServer) -> None:
    for path in ("/", "/mcp/", "/mcp/x", "/other"):
        response = options(server, {"Origin": PAGE, **PREFLIGHT}, path)
        assert response.status_code == 401, path
        assert "access-control-allow-methods" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "null",
        "https://127.0.0.1:5173",
        "http://127.0.0.1:5174",
        "http://127.0.0.1",
        "http://localhost:5173",
        "http://127.0.0.1:5173.evil.example",
        "http://127.0.0.1:51730",
    ],
)
def test_a_preflight_from_an_origin_not_allowed_gets_403_and_no_cors_headers(
    server: HttpServer, origin: str
) -> None:
    response = options(server, {"Origin": origin, **PREFLIGHT})
    assert response.status_code == 403
    assert cors_headers(response) == {}


def test_this_servers_own_origin_gets_no_preflight_answer(server: HttpServer) -> None:
    # Allowed by the guard (a same-origin request), but it serves no page that could need CORS.
    response = options(server, {"Origin": f"http://127.0.0.1:{server.port}", **PREFLIGHT})
    assert response.status_code == 401
    assert cors_headers(response) == {}


def test_a_preflight_for_another_host_gets_421_as_in_dns_rebinding(server: HttpServer) -> None:
    for host in (f"evil.example:{server.port}", "127.0.0.1:1"):
        response = options(server, {"Origin": PAGE, "Host": host, **PREFLIGHT})
        assert response.status_code == 421, host
        assert "access-control-allow-methods" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT", "PATCH"])
def test_every_other_method_from_an_allowed_origin_without_the_token_gets_401(
    server: HttpServer, method: str
) -> None:
    # Preflight headers on a request that is not OPTIONS change nothing either.
    response = httpx.request(
        method, server.url, headers={**JSON, "Origin": PAGE, **PREFLIGHT}, json=INIT, timeout=10
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == PAGE  # so the page can read why


def test_a_preflight_with_a_repeated_origin_is_refused(server: HttpServer) -> None:
    status, answer = raw_request(
        server.port,
        "OPTIONS",
        [("Host", f"127.0.0.1:{server.port}"), ("Origin", PAGE), ("Origin", PAGE), *PREFLIGHT.items()],
    )
    assert status == 400, answer
    assert b"access-control-" not in answer.lower()


def test_an_answer_with_the_token_to_an_allowed_origin_exposes_the_session_id(server: HttpServer) -> None:
    response = httpx.post(
        server.url, json=INIT, headers={**JSON, **token(server), "Origin": PAGE}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["mcp-session-id"]
    assert response.headers["access-control-allow-origin"] == PAGE
    assert "mcp-session-id" in listed(response.headers["access-control-expose-headers"])
    assert "origin" in listed(response.headers["vary"])
    assert "access-control-allow-credentials" not in response.headers


def test_refusals_to_an_allowed_origin_carry_cors_headers(server: HttpServer) -> None:
    page = {**JSON, "Origin": PAGE}
    refusals = {
        401: httpx.post(server.url, json=INIT, headers=page, timeout=10),
        404: httpx.post(
            server.url, json=INIT, headers={**page, **token(server), "Mcp-Session-Id": "0" * 32}, timeout=10
        ),
        421: httpx.post(
            server.url, json=INIT, headers={**page, **token(server), "Host": "evil.example"}, timeout=10
        ),
    }
    for status, response in refusals.items():
        assert response.status_code == status, response.text
        assert response.headers["access-control-allow-origin"] == PAGE, status
        assert "mcp-session-id" in listed(response.headers["access-control-expose-headers"]), status


def test_an_origin_not_allowed_gets_403_and_no_cors_headers_even_with_the_token(server: HttpServer) -> None:
    for origin in ("http://evil.example", "null", "http://localhost:5173"):
        response = httpx.post(
            server.url, json=INIT, headers={**JSON, **token(server), "Origin": origin}, timeout=10
        )
        assert response.status_code == 403, origin
        assert cors_headers(response) == {}, origin


def test_a_request_without_an_origin_gets_no_cors_headers(server: HttpServer) -> None:
    response = httpx.post(server.url, json=INIT, headers={**JSON, **token(server)}, timeout=10)
    assert response.status_code == 200
    assert cors_headers(response) == {}


async def test_the_sdk_client_sending_the_allowed_origin_lists_and_calls_tools(server: HttpServer) -> None:
    # The server was given the origin in capitals with a trailing slash; the browser's form is served.
    headers = {**token(server), "Origin": PAGE}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(server.url, http_client=http), mode="legacy") as client,
    ):
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "read_file" in names
        result = await client.call_tool("read_file", {"path": "notes.txt"})
        assert "read from a page" in json.dumps(result.model_dump(mode="json"))


@pytest.mark.parametrize(
    "value", ["*", "null", "http://localhost:*", "http://localhost:5173/app", "localhost:5173", "http://u@h"]
)
def test_an_allow_origin_that_is_not_one_origin_stops_the_server_with_one_line(
    tmp_path: Path, value: str
) -> None:
    command = [sys.executable, "-m", "m2bridge", "mcp", "--transport", "http", "--port", "0"]
    proc = subprocess.run(
        [*command, "--root", str(tmp_path), "--allow-origin", value],
        env=server_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "is not an origin" in line]
    assert len(errors) == 1 and "--allow-origin" in errors[0], proc.stderr


def raw_request(port: int, method: str, header_lines: list[tuple[str, str]]) -> tuple[int, bytes]:
    """Send exactly these header lines (repeats included, which clients would merge) over a raw socket;
    the status and the whole answer."""
    lines = [*header_lines, ("Content-Length", "0"), ("Connection", "close")]
    head = f"{method} /mcp HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in lines) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = b""
        for _ in range(64):  # bounded: the server closes after one short answer
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer
