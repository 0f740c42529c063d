"""The schema's unstable parts behind `m2bridge acp --unstable`: session/fork, session/resume,
session/close and usage_update; without the switch they are neither advertised nor answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block
from acp.schema import AgentMessageChunk, UsageUpdate

from tests.fakes.minimax import Reply
from tests.support.acp_editor import acp_editor
from tests.support.env import m2_env, make_project, run_cli


async def test_without_the_switch_fork_is_not_advertised_and_is_method_not_found(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        answer = await editor.initialize()
        session = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
        with pytest.raises(RequestError) as raised:
            await editor.conn.fork_session(cwd=str(repo), session_id=session.session_id)
    lifecycle = answer.agent_capabilities.session_capabilities if answer.agent_capabilities else None
    assert lifecycle is not None and lifecycle.list is not None and lifecycle.fork is None
    assert raised.value.code == -32601


async def test_fork_continues_apart_with_the_same_turns_and_resume_continues_without_a_replay(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        Reply("One.", thinking="First thought."),
        Reply("Fork two.", thinking="In the fork."),
        Reply("Resumed two.", thinking="Back in the original."),
    )
    async with acp_editor(repo, env, "--unstable") as editor:
        answer = await editor.initialize()
        first = (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id
        await editor.conn.prompt(session_id=first, prompt=[text_block("one")])
        fork = (await editor.conn.fork_session(cwd=str(repo), session_id=first)).session_id
        await editor.conn.prompt(session_id=fork, prompt=[text_block("two in the fork")])
        await editor.conn.close_session(session_id=first)
        with pytest.raises(RequestError) as closed:
            await editor.conn.prompt(session_id=first, prompt=[text_block("closed?")])
        updates_before = len(editor.client.updates)
        await editor.conn.resume_session(cwd=str(repo), session_id=first)
        replayed = [u for _, u in editor.client.updates[updates_before:] if isinstance(u, AgentMessageChunk)]
        await editor.conn.prompt(session_id=first, prompt=[text_block("two in the original")])
    lifecycle = answer.agent_capabilities.session_capabilities if answer.agent_capabilities else None
    assert lifecycle is not None and None not in (lifecycle.fork, lifecycle.resume, lifecycle.close)
    assert fork != first and closed.value.code == -32602 and replayed == []
    # Each continuation carried the shared first turn, its thinking included (the fake checks the rest).
    for request in fake_minimax.requests[1:]:
        assert "First thought." in str(request.body["messages"])
    assert "Fork two." not in str(fake_minimax.requests[2].body["messages"])
    assert run_cli(["sessions", "show", fork], env, repo).returncode == 0


async def test_usage_update_reports_the_context_used_and_the_window(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("One.", thinking="First."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax), "--unstable") as editor:
        await editor.initialize()
        session = (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id
        await editor.conn.prompt(session_id=session, prompt=[text_block("one")])
    (usage,) = [u for _, u in editor.client.updates if isinstance(u, UsageUpdate)]
    assert usage.size == 204_800 and 0 < usage.used < usage.size
