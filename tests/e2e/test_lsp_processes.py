"""Processes M2 starts from the editor die with the server, however it ends: shutdown or a closed pipe."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env
from tests.support.lsp_editor import editor_session, make_project


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose; the reaper may not have run yet.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def wait_gone(pid: int) -> bool:
    for _ in range(200):
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("ending", ["shutdown", "closed-pipe"])
async def test_started_processes_die_with_the_server(tmp_path: Path, fake_minimax: Any, ending: str) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    pidfile = tmp_path / "pid"
    fake_minimax.script(
        CallTools(
            [("start_process", {"command": f"sh -c 'echo $$ > {pidfile}; exec sleep 300'", "timeout": 0.5})],
            thinking="Go.",
        ),
        Reply("Started.", thinking="Running."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = "Allow"
        answer = await editor.chat("start a long process")
        assert answer["toolCalls"] == [{"name": "start_process", "ok": True}]
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            await asyncio.sleep(0.05)
        pid = int(pidfile.read_text())
        assert alive(pid)
        if ending == "closed-pipe":
            server = editor.client._server
            assert server is not None and server.stdin is not None
            server.stdin.close()
            await asyncio.wait_for(server.wait(), 30)
            editor.client.capabilities = None  # nothing left to shut down
    assert await wait_gone(pid)
