"""The conformance tests' auth proxy: it adds the bearer token, passes headers both ways, streams SSE through
as it arrives and rewrites only a Host or Origin that names the proxy itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import anyio.to_thread
import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.support.auth_proxy import loopback_socket, running_proxy, serving

TOKEN = "proxy-test-token"


class Upstream:
    """A server that echoes the request it saw as JSON, and on /events streams two SSE events with a gate
    between them: the second is sent only once the test has received the first."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while (message := await receive())["type"] == "http.request":
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/events":
            await self._events(send)
            return
        seen = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "body": body.decode(),
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        }
        payload = json.dumps(seen).encode()
        headers = [(b"content-type", b"application/json"), (b"mcp-session-id", b"session-from-upstream")]
        await send({"type": "http.response.start", "status": 202, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _events(self, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"data: one\n\n", "more_body": True})
        released = await anyio.to_thread.run_sync(self.gate.wait, 10)
        second = b"data: two after the first arrived\n\n" if released else b"data: two, sent late\n\n"
        await send({"type": "http.response.body", "body": second, "more_body": False})


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    app = Upstream()
    with serving(app, loopback_socket()) as url:
        yield app, url


@pytest.fixture
def proxy(upstream: tuple[Upstream, str]) -> Iterator[str]:
    with running_proxy(upstream[1] + "/mcp", TOKEN) as url:
        yield url


def test_the_proxy_adds_the_bearer_token_and_passes_headers_both_ways(
    upstream: tuple[Upstream, str], proxy: str
) -> None:
    answer = httpx.post(
        proxy + "/mcp?x=1",
        content=b'{"jsonrpc": "2.0"}',
        headers={"Mcp-Session-Id": "session-from-client", "Authorization": "Bearer not-this-one"},
    )
    assert answer.status_code == 202
    assert answer.headers["mcp-session-id"] == "session-from-upstream"
    seen = answer.json()
    headers = {}
    for name, value in seen["headers"]:
        headers.setdefault(name, []).append(value)
    assert headers["authorization"] == [f"Bearer {TOKEN}"]
    assert headers["mcp-session-id"] == ["session-from-client"]
    assert (seen["method"], seen["path"], seen["query"], seen["body"]) == (
        "POST",
        "/mcp",
        "x=1",
        '{"jsonrpc": "2.0"}',
    )


def test_the_proxy_streams_each_sse_event_as_it_arrives(upstream: tuple[Upstream, str], proxy: str) -> None:
    app, _ = upstream
    with httpx.stream("GET", proxy + "/events", timeout=20) as answer:
        chunks = answer.iter_raw()
        first = next(chunks)
        # A buffering proxy would hold the first event until the upstream gave up waiting for the gate.
        assert first == b"data: one\n\n"
        app.gate.set()
        rest = b"".join(chunks)
    assert rest == b"data: two after the first arrived\n\n"


def test_the_proxy_maps_its_own_host_and_origin_to_the_server_and_passes_others_verbatim(
    upstream: tuple[Upstream, str], proxy: str
) -> None:
    _, upstream_url = upstream
    own, theirs = proxy.split("//")[1], upstream_url.split("//")[1]
    named = httpx.post(proxy + "/mcp", headers={"Origin": f"http://{own}"}).json()
    assert ["host", theirs] in named["headers"] and ["origin", f"http://{theirs}"] in named["headers"]
    local = own.replace("127.0.0.1", "localhost")
    named = httpx.post(proxy + "/mcp", headers={"Host": local}).json()
    assert ["host", local.replace(own.split(":")[1], theirs.split(":")[1])] in named["headers"]
    foreign = httpx.post(
        proxy + "/mcp", headers={"Host": "evil.example.com", "Origin": "http://evil.example.com"}
    ).json()
    assert ["host", "evil.example.com"] in foreign["headers"]
    assert ["origin", "http://evil.example.com"] in foreign["headers"]
