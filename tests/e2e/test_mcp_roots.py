"""The roots a real MCP client lists, against `m2bridge mcp` as its own process, over stdio and HTTP.

An empty list is no opinion (MCP Inspector 2 and any client with no folder open send one): the server's
`--root` set stays. Roots that name something, but nothing inside the server's roots, leave no root
open, and every path tool says so in one clear line.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ListRootsResult, Root

from tests.fakes.minimax import Reply
from tests.support.mcp_clients import http_server, server_env, stdio_params, text_of
from tests.support.sandbox import Sandbox

RootsCallback = Callable[[Any], Awaitable[ListRootsResult]]
NO_ROOT = "no root is open: the client's roots do not overlap the server's --root"


def listing(*uris: str) -> RootsCallback:
    """A client's roots/list answer. `model_construct` lets a test send a URI the SDK's own client would
    refuse to build (a non-file one), as clients written elsewhere may."""

    async def answer(context: Any) -> ListRootsResult:
        return ListRootsResult.model_construct(roots=[Root.model_construct(uri=uri) for uri in uris])

    return answer


@asynccontextmanager
async def connect(
    transport: str, sandbox: Sandbox, roots: RootsCallback, **env: str
) -> AsyncIterator[Client]:
    """A client that announces the roots capability (legacy handshake: roots are gone from 2026-07-28)."""
    environment = server_env(sandbox.home, **env)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # roots are deprecated by 2026-07-28; the clients in use still send them
        if transport == "stdio":
            params = stdio_params([sandbox.root], environment)
            async with Client(params, mode="legacy", list_roots_callback=roots) as client:
                yield client
            return
        with http_server([sandbox.root], environment) as server:
            headers = {"Authorization": f"Bearer {server.token}"}
            async with (
                httpx2.AsyncClient(headers=headers, timeout=60) as http,
                Client(
                    streamable_http_client(server.url, http_client=http),
                    mode="legacy",
                    list_roots_callback=roots,
                ) as client,
            ):
                yield client


async def call(client: Client, name: str, **arguments: object) -> tuple[bool, str]:
    result = await client.call_tool(name, arguments)
    return bool(result.is_error), text_of(result)


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_client_that_lists_no_roots_keeps_the_server_roots(sandbox: Sandbox, transport: str) -> None:
    async with connect(transport, sandbox, listing()) as client:
        failed, text = await call(client, "read_file", path="hello.py")
        assert not failed and "print('hello')" in text, text
        failed, text = await call(client, "search", pattern="hello")
        assert not failed and "hello.py" in text, text
        failed, text = await call(client, "git_status")
        assert not failed and "main" in text, text
        failed, text = await call(client, "run_command", command="pwd")
        assert not failed and str(sandbox.root) in text, text
        # The server's roots still bound the tools: an empty list widens nothing.
        failed, text = await call(client, "read_file", path=str(sandbox.outside / "secret.txt"))
        assert failed and "outside the allowed roots" in text, text


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_roots_that_do_not_overlap_keep_the_clear_error(sandbox: Sandbox, transport: str) -> None:
    async with connect(transport, sandbox, listing(sandbox.outside.as_uri())) as client:
        for name, arguments in [
            ("read_file", {"path": "hello.py"}),
            ("search", {"pattern": "hello"}),
            ("git_status", {}),
            ("run_command", {"command": "pwd"}),
        ]:
            failed, text = await call(client, name, **arguments)
            assert failed and NO_ROOT in text, f"{name}: {text}"


async def test_a_list_of_only_non_file_uris_keeps_the_clear_error(sandbox: Sandbox) -> None:
    # Present but unusable is not "no opinion": the client said where it works, and it is not here.
    roots = listing("https://example.com/repo", "vscode-remote://ssh/home/me/repo")
    async with connect("stdio", sandbox, roots) as client:
        failed, text = await call(client, "read_file", path="hello.py")
        assert failed and NO_ROOT in text, text


async def test_the_file_roots_of_a_mixed_list_are_kept_and_the_rest_skipped(sandbox: Sandbox) -> None:
    roots = listing("https://example.com/repo", (sandbox.root / "sub").as_uri())
    async with connect("stdio", sandbox, roots) as client:
        failed, text = await call(client, "read_file", path=str(sandbox.root / "sub" / "notes.md"))
        assert not failed and "# notes" in text, text
        failed, text = await call(client, "read_file", path=str(sandbox.root / "hello.py"))
        assert failed and "outside the allowed roots" in text, text


async def test_roots_that_become_empty_give_the_server_roots_back(sandbox: Sandbox) -> None:
    current = [sandbox.outside.as_uri()]

    async def roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=uri) for uri in current])

    async with connect("stdio", sandbox, roots) as client:
        failed, text = await call(client, "read_file", path="hello.py")
        assert failed and NO_ROOT in text, text
        current.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.send_roots_list_changed()
        failed, text = await call(client, "read_file", path="hello.py")
        assert not failed and "print('hello')" in text, text
        current.append(sandbox.outside.as_uri())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.send_roots_list_changed()
        failed, text = await call(client, "read_file", path="hello.py")
        assert failed and NO_ROOT in text, text


async def test_m2_task_runs_in_the_server_roots_when_the_client_lists_none(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("done", thinking="Nothing to do.")
    env = {"MINIMAX_API_KEY": "test-key", "MINIMAX_API_HOST": fake_minimax.host}
    async with connect("stdio", sandbox, listing(), **env) as client:
        failed, text = await call(client, "m2_task", task="say done")
        assert not failed, text
        assert json.loads(text)["text"] == "done"
    async with connect("stdio", sandbox, listing(sandbox.outside.as_uri()), **env) as client:
        failed, text = await call(client, "m2_task", task="say done")
        assert failed and NO_ROOT in text, text
