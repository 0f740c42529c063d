"""`m2bridge acp` end to end, turns: session/prompt through the conversation service against the strict
fake M2 (which fails the test on any history violation), with updates streamed in M2's order, tool calls
and permissions, and session/cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    AllowedOutcome,
    RequestPermissionResponse,
    ToolCallProgress,
    ToolCallStart,
)

from tests.fakes.minimax import CallTools, Fault, Reply
from tests.support.acp_editor import Editor, acp_editor
from tests.support.env import m2_env, make_project, run_cli
from tests.support.sent import tool_results

SESSION_KINDS = {
    "available_commands_update",
    "session_info_update",
    "current_mode_update",
    "config_option_update",
}


def kinds(editor: Editor) -> list[str]:
    """The turn's session/update kinds in arrival order, runs of one kind collapsed (the session's own
    announcements, such as its commands and title, left out)."""
    seen: list[str] = []
    for _, update in editor.client.updates:
        kind = update.session_update
        if kind in SESSION_KINDS:
            continue
        if not seen or seen[-1] != kind:
            seen.append(kind)
    return seen


def chosen(option_id: str) -> RequestPermissionResponse:
    return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=option_id))


async def new_session(editor: Editor, repo: Path) -> str:
    await editor.initialize()
    return (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id


async def test_a_prompt_streams_thinking_then_a_permitted_edit_then_the_answer_in_m2s_order(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "hello\n"})], thinking="Write it."),
        Reply("Written.", thinking="Done writing."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        editor.client.permission = chosen("allow_once")
        answer = await editor.conn.prompt(session_id=session_id, prompt=[text_block("write notes.txt")])

    assert answer.stop_reason == "end_turn"
    assert (repo / "notes.txt").read_text() == "hello\n"
    assert kinds(editor) == [
        "agent_thought_chunk",
        "tool_call",
        "tool_call_update",
        "agent_thought_chunk",
        "agent_message_chunk",
    ]
    updates = [u for _, u in editor.client.updates]
    start = next(u for u in updates if isinstance(u, ToolCallStart))
    assert start.kind == "edit" and start.title.startswith("write_file")
    assert start.locations is not None and start.locations[0].path == str(repo.resolve() / "notes.txt")
    done = next(u for u in updates if isinstance(u, ToolCallProgress))
    assert done.tool_call_id == start.tool_call_id and done.status == "completed" and done.content
    diff, result = done.content
    assert (diff.type, diff.path, diff.old_text, diff.new_text) == (
        "diff",
        start.locations[0].path,
        None,
        "hello\n",
    )
    assert start.content == [diff]  # the editor shows the edit as a diff from the start
    assert result.content.text == json.loads(tool_results(fake_minimax.requests[1])[0])
    ((asked_session, asked_call, _),) = editor.client.permission_requests
    assert asked_session == session_id and asked_call.tool_call_id == start.tool_call_id
    thought = "".join(u.content.text for u in updates if isinstance(u, AgentThoughtChunk))
    said = "".join(u.content.text for u in updates if isinstance(u, AgentMessageChunk))
    assert thought == "Write it.Done writing." and said == "Written."


async def test_a_rejected_tool_is_not_run_and_m2_is_told(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "hello\n"})], thinking="Write it."),
        Reply("Not written then.", thinking="It was refused."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        editor.client.permission = chosen("reject_once")
        answer = await editor.conn.prompt(session_id=session_id, prompt=[text_block("write notes.txt")])

    assert answer.stop_reason == "end_turn"
    assert not (repo / "notes.txt").exists()
    done = next(u for _, u in editor.client.updates if isinstance(u, ToolCallProgress))
    assert done.status == "failed"
    (result,) = tool_results(fake_minimax.requests[1])
    assert "did not approve" in str(result)


async def test_allow_always_is_remembered_for_the_session(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "a.txt", "content": "a\n"})], thinking="First."),
        CallTools([("write_file", {"path": "b.txt", "content": "b\n"})], thinking="Second."),
        Reply("Both written.", thinking="Done."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        editor.client.permission = chosen("allow_always")
        await editor.conn.prompt(session_id=session_id, prompt=[text_block("write two files")])
    assert (repo / "a.txt").exists() and (repo / "b.txt").exists()
    assert len(editor.client.permission_requests) == 1


async def test_cancel_mid_stream_answers_cancelled_and_keeps_what_arrived(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.token_delay = 0.05
    fake_minimax.script(Reply("word " * 400, thinking="A long answer is coming."))
    env = m2_env(tmp_path, fake_minimax)
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        turn = asyncio.ensure_future(
            editor.conn.prompt(session_id=session_id, prompt=[text_block("say a lot")])
        )
        while not any(isinstance(u, AgentMessageChunk) for _, u in editor.client.updates):
            await asyncio.sleep(0.02)
        await editor.conn.cancel(session_id=session_id)
        answer = await asyncio.wait_for(turn, 20)
    assert answer.stop_reason == "cancelled"
    said = "".join(u.content.text for _, u in editor.client.updates if isinstance(u, AgentMessageChunk))
    assert said and len(said) < len("word " * 400)
    exported = json.loads(run_cli(["sessions", "export", session_id, "--json"], env, repo).stdout)
    assert exported["session"]["title"] == "say a lot"
    (kept,) = [t["turn"] for t in exported["turns"] if t["turn"]["kind"] == "assistant"]
    stored = "".join(b["text"] for b in kept["blocks"] if b["type"] == "text")
    assert kept["incomplete"] is True and stored and said.startswith(stored[:20])


async def test_a_prompt_to_an_unknown_session_is_invalid_params(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        with pytest.raises(RequestError) as raised:
            await editor.conn.prompt(session_id="no-such-session", prompt=[text_block("hi")])
    assert raised.value.code == -32602


async def test_a_permission_request_never_answered_is_refused_after_the_wait_and_m2_is_told(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "hello\n"})], thinking="Write it."),
        Reply("No answer, so not written.", thinking="Refused."),
    )
    env = m2_env(tmp_path, fake_minimax, M2BRIDGE_ACP_PERMISSION_WAIT="0.5")
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        editor.client.never_answer = True
        answer = await editor.conn.prompt(session_id=session_id, prompt=[text_block("write notes.txt")])
    assert answer.stop_reason == "end_turn"
    assert not (repo / "notes.txt").exists()
    (result,) = tool_results(fake_minimax.requests[1])
    assert "did not approve" in str(result)


async def test_a_model_error_ends_the_turn_with_its_message_and_the_agent_keeps_serving(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Fault.api_error(2049, "invalid api key"), Reply("Hello again.", thinking="Fine now."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        failed = await editor.conn.prompt(session_id=session_id, prompt=[text_block("hi")])
        shown = "".join(u.content.text for _, u in editor.client.updates if isinstance(u, AgentMessageChunk))
        again = await editor.conn.prompt(session_id=session_id, prompt=[text_block("hi again")])
    assert failed.stop_reason == "end_turn"
    assert "invalid api key" in shown
    assert again.stop_reason == "end_turn"
