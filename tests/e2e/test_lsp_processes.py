"""Processes M2 starts from the editor die with the server, however it ends: shutdown or a closed pipe."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.mcp_tools.terminal.procs import TOKEN_VARIABLE, still_running, token_holders
from tests.support.env import m2_env
from tests.support.lsp_editor import editor_session, make_project


@pytest.mark.parametrize("ending", ["shutdown", "closed-pipe"])
async def test_started_processes_die_with_the_server(tmp_path: Path, fake_minimax: Any, ending: str) -> None:
    repo = make_project(tmp_path)
    # The process runs in a PID namespace of its own (the sandbox): the pid it could write means nothing
    # out here. It carries this token in its environment instead, which /proc shows.
    token = uuid.uuid4().hex
    env = m2_env(tmp_path, fake_minimax, **{TOKEN_VARIABLE: token})
    fake_minimax.script(
        CallTools(
            [("start_process", {"command": "echo started; exec sleep 300", "wait_for": "started"})],
            thinking="Go.",
        ),
        Reply("Started.", thinking="Running."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = "Allow"
        answer = await editor.chat("start a long process")
        assert answer["toolCalls"] == [{"name": "start_process", "ok": True}]
        holders = token_holders(token)
        assert holders, "the started process is not running"
        if ending == "closed-pipe":
            server = editor.client._server
            assert server is not None and server.stdin is not None
            server.stdin.close()
            await asyncio.wait_for(server.wait(), 30)
            editor.client.capabilities = None  # nothing left to shut down
    assert await asyncio.to_thread(still_running, token, 10) == [], holders
