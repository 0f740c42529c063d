"""The HTTP guard alone, called as ASGI with exact header lists: what an HTTP parser might let through
(uvicorn's refuses a second Host itself; the guard must not rely on that)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcp_tools.server.guard import HttpGuard

TOKEN = "t" * 43
HOST = "127.0.0.1:8765"
ORIGIN = f"http://{HOST}"
GOOD = {"host": HOST, "origin": ORIGIN, "authorization": f"Bearer {TOKEN}"}
BAD = {"host": "evil.example:80", "origin": "http://evil.example", "authorization": "Bearer " + "x" * 43}


async def call(headers: list[tuple[str, str]]) -> tuple[int, dict[str, Any] | None, bool]:
    """The status, the JSON error body (None when served) and whether the app behind the guard ran."""
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    guard = HttpGuard(app, token=TOKEN, allowed_hosts=[HOST], allowed_origins=[ORIGIN])
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
    }
    await guard(scope, receive, send)
    body = sent[-1]["body"]
    return sent[0]["status"], (json.loads(body) if body != b"served" else None), bool(reached)


async def test_each_guarded_header_once_and_right_is_served() -> None:
    assert await call(list(GOOD.items())) == (200, None, True)


@pytest.mark.parametrize("name", ["authorization", "host", "origin"])
@pytest.mark.parametrize("order", ["good-then-bad", "bad-then-good", "good-twice"])
async def test_a_repeated_guarded_header_is_refused_whichever_copy_is_good(name: str, order: str) -> None:
    first, second = {
        "good-then-bad": (GOOD[name], BAD[name]),
        "bad-then-good": (BAD[name], GOOD[name]),
        "good-twice": (GOOD[name], GOOD[name]),
    }[order]
    others = [(other, value) for other, value in GOOD.items() if other != name]
    status, body, reached = await call([*others, (name, first), (name, second)])
    assert (status, reached) == (400, False)
    assert body is not None and f"more than one {name.title()}" in body["error"]


async def test_a_repeat_in_another_letter_case_is_still_a_repeat() -> None:
    status, _, reached = await call([*GOOD.items(), ("Authorization", BAD["authorization"])])
    assert (status, reached) == (400, False)


@pytest.mark.parametrize(
    ("name", "status"),
    [("host", 421), ("origin", 403), ("authorization", 401)],
    ids=["host", "origin", "token"],
)
async def test_a_single_wrong_guarded_header_gets_its_own_refusal(name: str, status: int) -> None:
    headers = {**GOOD, name: BAD[name]}
    assert (await call(list(headers.items())))[0::2] == (status, False)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_bearer_scheme_is_matched_without_regard_to_case(scheme: str) -> None:
    headers = {**GOOD, "authorization": f"{scheme} {TOKEN}"}
    assert await call(list(headers.items())) == (200, None, True)


@pytest.mark.parametrize(
    "authorization",
    [TOKEN, f"Basic {TOKEN}", f"Bearer{TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", ""],
)
async def test_anything_but_the_bearer_scheme_with_the_exact_token_gets_401(authorization: str) -> None:
    headers = {**GOOD, "authorization": authorization}
    status, body, reached = await call(list(headers.items()))
    assert (status, reached) == (401, False)
    assert body is not None and "Bearer" in body["error"]
