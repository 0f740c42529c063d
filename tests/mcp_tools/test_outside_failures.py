"""An outside MCP server that answers with an HTTP failure is reported with the setting to fix.

A real MCP client (through `outside_tools`) talks over real HTTP to a local server that answers each
path with a fixed status; refused credentials against a real MCP server are tested in
tests/e2e/test_chat_outside_mcp.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_tools.outside import outside_tools
from tests.fakes.local_fake import LocalFake


class Answers(LocalFake):
    """POST /<status> answers that status; /page answers 200 with a web page."""

    def _build_app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            await request.body()
            if request.path_params["what"] == "page":
                return Response("<html>hello</html>", media_type="text/html")
            return Response("no", status_code=int(request.path_params["what"]), media_type="text/plain")

        return Starlette(routes=[Route("/{what}", answer, methods=["POST", "GET", "DELETE"])])


@pytest.fixture
def answers() -> Iterator[Answers]:
    with Answers() as server:
        yield server


async def warnings_for(url: str, config: Path) -> list[str]:
    heard: list[str] = []
    entry = {"url": url, "headers": {"Authorization": "Bearer secret-token-xyz"}, "timeout": 20}
    async with outside_tools({"remote": entry}, {"M2BRIDGE_CONFIG": str(config)}, heard.append) as tools:
        assert tools == []
    assert len(heard) == 1 and "secret-token-xyz" not in heard[0]
    return heard


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("403", "refused access (HTTP 403): check that the token in the Authorization header under "
                "[mcpServers.remote] headers in {config} is allowed to use this server"),
        ("405", "has no MCP endpoint there (HTTP 405): check url under [mcpServers.remote] in {config}"),
        ("500", "failed with HTTP 500: the server is reachable but broken; see its own logs"),
        ("418", "answered HTTP 418: check url and headers under [mcpServers.remote] in {config}"),
        ("page", "is not an MCP server (it answered text/html): check url under [mcpServers.remote] "
                 "in {config}"),
    ],
)  # fmt: skip
async def test_each_http_failure_names_what_to_change(answers, tmp_path, what, expected):
    config = tmp_path / "config.toml"
    url = f"{answers.host}/{what}"
    [line] = await warnings_for(url, config)
    assert line.startswith(f"outside MCP server 'remote' was not loaded: {url} ")
    assert expected.format(config=config) in line


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"command": "true", "args": "--flag"}, "`args` must be a list of strings"),
        ({"command": "true", "env": "A=1"}, "`env` must be a table of names to values"),
        ({"command": "true", "cwd": 7}, "`cwd` must be a folder path"),
        ({"url": "http://127.0.0.1:9/mcp", "headers": ["Authorization"]}, "`headers` must be a table"),
        ("npx server", "its entry must be a table with `command` or `url`"),
    ],
)
async def test_a_misshapen_entry_is_skipped_with_the_setting_to_fix(tmp_path, entry, expected):
    heard: list[str] = []
    env = {"M2BRIDGE_CONFIG": str(tmp_path / "config.toml")}
    async with outside_tools({"odd": entry, "other": {"url": "ftp://x"}}, env, heard.append) as tools:
        assert tools == []
    assert heard[0].startswith("outside MCP server 'odd' was not loaded: ")
    assert expected in heard[0]
    assert "`url` must be http(s)" in heard[1]
