"""`m2bridge acp` end to end, session/load: a session made by `m2bridge chat -p` replayed as updates and
continued over ACP, with the strict fake M2 checking that every earlier turn (thinking included) goes back
value-identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block
from acp.schema import AgentMessageChunk, ToolCallProgress, ToolCallStart, UserMessageChunk

from tests.fakes.minimax import CallTools, Reply
from tests.support.acp_editor import acp_editor
from tests.support.env import m2_env, make_project, run_json


async def test_a_session_made_by_chat_p_is_replayed_and_continued_with_its_history_intact(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Read it first."),
        Reply("answer() returns 1.", thinking="It returns 1."),
        Reply("Still 1.", thinking="Nothing changed."),
    )
    code, made = run_json(["chat", "-p", "what does answer return?", "--json"], env, repo)
    assert code == 0, made
    session_id = made["session_id"]

    async with acp_editor(repo, env) as editor:
        init = await editor.initialize()
        await editor.conn.load_session(cwd=str(repo), session_id=session_id, mcp_servers=[])
        replayed = [u for _, u in editor.client.updates]
        answer = await editor.conn.prompt(session_id=session_id, prompt=[text_block("and now?")])

    assert init.agent_capabilities is not None and init.agent_capabilities.load_session is True
    assert [u.session_update for u in replayed] == [
        "user_message_chunk",
        "agent_thought_chunk",
        "tool_call",
        "tool_call_update",
        "agent_thought_chunk",
        "agent_message_chunk",
    ]
    assert (
        isinstance(replayed[0], UserMessageChunk) and replayed[0].content.text == "what does answer return?"
    )
    start, done = replayed[2], replayed[3]
    assert isinstance(start, ToolCallStart) and start.kind == "read"
    assert isinstance(done, ToolCallProgress) and done.status == "completed" and done.content
    assert "def answer" in done.content[0].content.text
    assert answer.stop_reason == "end_turn"
    said = [u for _, u in editor.client.updates[len(replayed) :] if isinstance(u, AgentMessageChunk)]
    assert "".join(u.content.text for u in said) == "Still 1."
    assert len(fake_minimax.requests) == 3  # the fixture fails the test on any history violation


async def test_loading_an_unknown_session_id_is_invalid_params_and_the_agent_keeps_serving(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        with pytest.raises(RequestError) as raised:
            await editor.conn.load_session(cwd=str(repo), session_id="no-such-session", mcp_servers=[])
        still = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert raised.value.code == -32602 and "no stored session" in str(raised.value.data)
    assert still.session_id
