"""A web page in Debian's headless Chromium talks to `m2bridge mcp --http --allow-origin PAGE` with fetch.

The page is served on its own 127.0.0.1 port (PAGE, allowed); the same page on another port is not
allowed. Chromium does the CORS work itself: it preflights each request that carries the token, and
refuses to hand the page any answer without the right `Access-Control-*` headers. The page on PAGE runs
initialize, notifications/initialized, tools/list, a read_file call and a DELETE of its session, reading
`Mcp-Session-Id` from the answers; the page on the other origin gets nothing.

Needs /usr/bin/chromium (scripts/code-server installs it) and the Python package playwright (the test
extras). Without them the test is skipped, and fails instead under CI (CI=true), where .ci/run installs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest

from tests.support.code_server import CHROMIUM, chromium_page
from tests.support.mcp_clients import HttpServer, http_server, server_env
from tests.support.static_site import static_site

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

NOTE = "read by a web page through m2bridge\n"

# The page's MCP client: plain fetch, as a browser app would write it. It returns what it saw.
PAGE_HTML = """<!doctype html>
<meta charset="utf-8">
<title>m2bridge from a page</title>
<script>
async function answerOf(response) {
  const text = await response.text();
  if (!(response.headers.get("content-type") || "").includes("text/event-stream")) return JSON.parse(text);
  const data = text.split("\\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
  return JSON.parse(data[data.length - 1]);
}

async function mcpSession(url, token, path) {
  const seen = {};
  const withoutToken = await fetch(url, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: "{}",
  });
  seen.withoutToken = withoutToken.status;
  const headers = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "Authorization": `Bearer ${token}`,
  };
  const call = (id, method, params) => fetch(url, {
    method: "POST", headers, body: JSON.stringify({jsonrpc: "2.0", id, method, params}),
  });
  let response = await call(1, "initialize", {
    protocolVersion: "2025-06-18", capabilities: {}, clientInfo: {name: "chromium-page", version: "1"},
  });
  seen.initialize = response.status;
  seen.session = response.headers.get("mcp-session-id");
  seen.server = (await answerOf(response)).result.serverInfo.name;
  headers["Mcp-Session-Id"] = seen.session;
  headers["Mcp-Protocol-Version"] = "2025-06-18";
  response = await fetch(url, {
    method: "POST", headers, body: JSON.stringify({jsonrpc: "2.0", method: "notifications/initialized"}),
  });
  seen.initialized = response.status;
  response = await call(2, "tools/list", {});
  seen.tools = (await answerOf(response)).result.tools.map((tool) => tool.name);
  response = await call(3, "tools/call", {name: "read_file", arguments: {path}});
  seen.read = (await answerOf(response)).result.content.map((item) => item.text).join("\\n");
  response = await fetch(url, {method: "DELETE", headers});
  seen.deleted = response.status;
  return seen;
}

async function attempt(request) {
  try {
    const response = await request();
    return {status: response.status, body: await response.text()};
  } catch (error) {
    return {error: String(error)};
  }
}

async function tryFromHere(url, token) {
  return {
    withToken: await attempt(() => fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token}`},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "tools/list"}),
    })),
    // A "simple" request is sent without a preflight; the browser must still keep the answer from the page.
    simple: await attempt(() => fetch(url, {
      method: "POST", headers: {"Content-Type": "text/plain"}, body: "{}",
    })),
  };
}
</script>
<p>m2bridge CORS test page</p>
"""


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (.ci/run installs it before the slow tests)")
    pytest.skip(reason)


@dataclass
class Setup:
    server: HttpServer
    page: Any  # a Playwright page in Chromium
    allowed: str  # the page's origin given to --allow-origin
    other: str  # the same page on an origin not allowed
    console: list[str]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    if not CHROMIUM.is_file():
        unavailable(f"{CHROMIUM} is missing: run scripts/code-server (it apt-installs chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the Python package playwright is not installed: run scripts/setup --test")
    base = tmp_path_factory.mktemp("browser")
    site = base / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE_HTML)
    (base / "repo").mkdir()
    (base / "repo" / "note.txt").write_text(NOTE)
    with (
        static_site(site) as allowed,
        static_site(site) as other,
        http_server([base / "repo"], server_env(base / "home"), "--allow-origin", allowed) as server,
        chromium_page() as page,
    ):
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        yield Setup(server, page, allowed, other, console)


def open_page(setup: Setup, origin: str) -> Any:
    setup.page.goto(f"{origin}/index.html")
    setup.page.wait_for_function("typeof mcpSession === 'function'")
    return setup.page


def test_a_page_on_an_allowed_origin_runs_a_session_with_fetch(setup: Setup) -> None:
    page = open_page(setup, setup.allowed)
    seen = page.evaluate(
        "([url, token]) => mcpSession(url, token, 'note.txt')", [setup.server.url, setup.server.token]
    )
    assert seen["withoutToken"] == 401  # refused, and the page may read that it was
    assert seen["initialize"] == 200
    assert seen["session"], "the page could not read Mcp-Session-Id"
    assert seen["server"] == "m2bridge"
    assert seen["initialized"] == 202
    assert "read_file" in seen["tools"]
    assert NOTE.strip() in seen["read"]
    assert seen["deleted"] == 200


def test_a_page_on_another_origin_gets_nothing(setup: Setup) -> None:
    page = open_page(setup, setup.other)
    setup.console.clear()
    tried = page.evaluate("([url, token]) => tryFromHere(url, token)", [setup.server.url, setup.server.token])
    # fetch fails outright: no status, no body, whatever the server said.
    assert set(tried["withToken"]) == {"error"}, tried
    assert set(tried["simple"]) == {"error"}, tried
    assert "Failed to fetch" in tried["withToken"]["error"]
    blocked = [line for line in setup.console if "blocked by CORS policy" in line]
    assert len(blocked) >= 2, setup.console
    assert any("preflight" in line for line in blocked), blocked
