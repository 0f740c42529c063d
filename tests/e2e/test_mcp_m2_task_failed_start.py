"""`m2_task` through a real MCP client: a task whose first model request fails leaves no session behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import Fault, Reply
from tests.support.code_server import free_port
from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of
from tests.support.sandbox import Sandbox


def stored_ids(home: Path) -> list[str]:
    from m2bridge.sessions import SessionStore

    with SessionStore(home / "sessions.db") as store:
        return [info.id for info in store.list()]


@pytest.mark.parametrize("failure", ["connection refused", "HTTP 500", "HTTP 401"])
async def test_a_task_whose_first_request_fails_stores_no_session(
    sandbox: Sandbox, fake_minimax: Any, failure: str
) -> None:
    (sandbox.home.parent / "config.toml").write_text("max_retries = 0\n")
    host = f"http://127.0.0.1:{free_port()}" if failure == "connection refused" else fake_minimax.host
    key = "wrong-key" if failure == "HTTP 401" else "test-key"
    if failure == "HTTP 500":
        fake_minimax.script(Fault.server_error())
    env = server_env(sandbox.home, MINIMAX_API_KEY=key, MINIMAX_API_HOST=host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "say hi"})
    answer = json.loads(text_of(result))
    assert result.is_error and answer["stop_reason"] == "error" and answer["session_id"] is None
    assert stored_ids(sandbox.home) == []


async def test_a_failed_task_on_an_existing_session_keeps_it(sandbox: Sandbox, fake_minimax: Any) -> None:
    (sandbox.home.parent / "config.toml").write_text("max_retries = 0\n")
    fake_minimax.script(Reply("hi"), Fault.server_error())
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        first = json.loads(text_of(await client.call_tool("m2_task", {"task": "say hi"})))
        failed = await client.call_tool("m2_task", {"task": "again", "session_id": first["session_id"]})
    assert failed.is_error and json.loads(text_of(failed))["session_id"] == first["session_id"]
    assert stored_ids(sandbox.home) == [first["session_id"]]
