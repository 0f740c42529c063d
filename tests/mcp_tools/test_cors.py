"""The CORS middleware alone, called as ASGI with exact header lists, and the `--allow-origin` value check."""

from __future__ import annotations

from typing import Any

import pytest

from m2bridge.errors import ConfigError
from mcp_tools.server.cors import CorsMiddleware, normalize_origin

HOST = "127.0.0.1:8765"
PAGE = "http://localhost:5173"
PREFLIGHT = [("host", HOST), ("origin", PAGE), ("access-control-request-method", "POST")]


async def call(
    headers: list[tuple[str, str]], method: str = "OPTIONS", inner: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, list[tuple[str, str]], bool]:
    """The status, the answer's headers and whether the app behind the middleware ran."""
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)
        await send({"type": "http.response.start", "status": 401, "headers": list(inner or [])})
        await send({"type": "http.response.body", "body": b"refused"})

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    cors = CorsMiddleware(app, allowed_origins=[PAGE], allowed_hosts=[HOST], path="/mcp")
    scope = {
        "type": "http",
        "method": method,
        "path": "/mcp",
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
    }
    await cors(scope, receive, send)
    answer = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in sent[0]["headers"]]
    return sent[0]["status"], answer, bool(reached)


async def test_a_preflight_is_answered_here_and_never_reaches_the_guard() -> None:
    status, headers, reached = await call(PREFLIGHT)
    assert (status, reached) == (204, False)
    assert ("access-control-allow-origin", PAGE) in headers


@pytest.mark.parametrize("name", ["origin", "access-control-request-method"])
async def test_a_preflight_with_a_repeated_header_goes_on_to_the_guard(name: str) -> None:
    repeated = next(value for key, value in PREFLIGHT if key == name)
    status, headers, reached = await call([*PREFLIGHT, (name, repeated)])
    assert (status, reached) == (401, True)
    assert not [key for key, _ in headers if key == "access-control-allow-methods"]


async def test_a_repeated_origin_gets_no_cors_header_on_any_method() -> None:
    _, headers, _ = await call([("host", HOST), ("origin", PAGE), ("origin", PAGE)], method="POST")
    assert not [key for key, _ in headers if key.startswith("access-control-")]


async def test_an_origin_is_compared_without_regard_to_case_and_echoed_as_sent() -> None:
    sent = "http://LocalHost:5173"
    _, headers, _ = await call([("host", HOST), ("origin", sent)], method="POST")
    assert ("access-control-allow-origin", sent) in headers


@pytest.mark.parametrize(
    ("inner", "vary"),
    [
        ([], "Origin"),
        ([(b"vary", b"Accept-Encoding")], "Accept-Encoding, Origin"),
        ([(b"Vary", b"origin")], "origin"),
        ([(b"vary", b"*")], "*"),
    ],
)
async def test_every_answer_varies_by_origin_once(inner: list[tuple[bytes, bytes]], vary: str) -> None:
    for headers in ([("host", HOST), ("origin", PAGE)], [("host", HOST), ("origin", "http://evil.example")]):
        _, answer, _ = await call(headers, method="POST", inner=inner)
        assert [value for key, value in answer if key.lower() == "vary"] == [vary]


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("http://localhost:5173", "http://localhost:5173"),
        ("HTTPS://App.Example/", "https://app.example"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("vscode-webview://1a2b3c", "vscode-webview://1a2b3c"),
    ],
)
def test_an_allow_origin_value_is_kept_as_a_browser_sends_it(given: str, origin: str) -> None:
    assert normalize_origin(given) == origin


@pytest.mark.parametrize(
    "given",
    [
        "*",
        "null",
        "",
        "http://*.example",
        "http://localhost:*",
        "http://localhost:0",
        "http://localhost:65536",
        "http://localhost:5173/app",
        "http://localhost:5173?x",
        "http://user@localhost",
        "localhost:5173",
        "http://a.example http://b.example",
        "http://a.example,http://b.example",
    ],
)
def test_an_allow_origin_value_that_is_not_one_origin_is_refused(given: str) -> None:
    with pytest.raises(ConfigError, match="is not an origin"):
        normalize_origin(given)
