"""`m2bridge lsp` end to end: pytest-lsp's client drives the server as a subprocess, against the strict
fake M2 over HTTP (which fails the test if earlier thinking is dropped or altered)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, run_json
from tests.support.lsp_editor import editor_session, make_project, plain
from tests.support.sent import tool_results, user_texts


async def test_chat_streams_deltas_and_sends_the_editor_context_as_context(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Read the selected function first."),
        Reply("It returns 1.", thinking="The selection is answer()."),
    )
    async with editor_session(repo, env) as editor:
        editor.open("app.py")
        editor.select("app.py", (0, 0), (2, 0))
        diagnostic = {
            "range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 12}},
            "message": "magic number",
            "severity": 2,
            "source": "pylint",
        }
        editor.report_diagnostics("app.py", [diagnostic])
        answer = await editor.chat("what does the selection return?")
        progress = dict(editor.client.progress_reports)

    assert answer["stopReason"] == "end_turn"
    assert answer["text"] == "It returns 1."
    session_id = answer["sessionId"]
    kinds = [d["kind"] for d in editor.deltas]
    assert {"thinking", "text", "toolStart", "toolEnd", "usage"} <= set(kinds)
    assert all(d["sessionId"] == session_id for d in editor.deltas)
    assert "".join(d["text"] for d in editor.deltas if d["kind"] == "text") == "It returns 1."
    started = next(d for d in editor.deltas if d["kind"] == "toolStart")
    ended = next(d for d in editor.deltas if d["kind"] == "toolEnd")
    assert started["tool"]["name"] == "read_file" and started["tool"]["arguments"] == {"path": "app.py"}
    assert ended["tool"]["ok"] is True and ended["tool"]["summary"]
    usage = next(d for d in editor.deltas if d["kind"] == "usage")
    assert usage["contextTokens"] > 0 and usage["inputTokens"] > 0
    # Work-done progress began and ended.
    reports = [r for token_reports in progress.values() for r in token_reports]
    assert any(isinstance(r, types.WorkDoneProgressBegin) for r in reports)
    assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)

    first = user_texts(fake_minimax.requests[0])
    context = next(t for t in first if "Editor context" in t)
    assert "Active file: app.py" in context
    assert "Selection: lines 1-2" in context and "def answer():" in context
    assert "magic number" in context and "pylint" in context
    assert first[-1] == "what does the selection return?"

    # Stored as context, apart from the user's words.
    code, shown = run_json(["sessions", "show", session_id, "--json"], env, repo)
    assert code == 0
    kinds_stored = [t["kind"] for t in shown["turns"]]
    assert kinds_stored[:2] == ["context", "user"]
    assert shown["turns"][0]["source"] == "editor"
    assert shown["turns"][1]["text"] == "what does the selection return?"


async def test_destructive_tool_asks_through_the_editor_and_a_refusal_reaches_m2(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    marker = tmp_path / "ran"
    fake_minimax.script(
        CallTools([("run_command", {"command": f"touch {marker}"})], thinking="Run it."),
        Reply("It was refused.", thinking="The user said no."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = "Deny"
        answer = await editor.chat("touch the marker")

    [question] = editor.questions
    assert "touch" in question.message
    assert [a.title for a in question.actions or []] == ["Allow", "Allow for this session", "Deny"]
    assert not marker.exists()
    assert answer["toolCalls"] == [{"name": "run_command", "ok": False}]
    assert any("did not approve" in r for r in tool_results(fake_minimax.requests[1]))


async def test_allow_for_this_session_is_asked_once_per_tool(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("run_command", {"command": "echo one"})], thinking="First."),
        CallTools([("run_command", {"command": "echo two"})], thinking="Second."),
        Reply("Both ran.", thinking="Done."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = "Allow for this session"
        answer = await editor.chat("run two commands")

    assert len(editor.questions) == 1
    assert answer["toolCalls"] == [{"name": "run_command", "ok": True}, {"name": "run_command", "ok": True}]


async def test_dismissed_question_counts_as_no(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    marker = tmp_path / "ran"
    fake_minimax.script(
        CallTools([("run_command", {"command": f"touch {marker}"})], thinking="Run it."),
        Reply("Not run.", thinking="No answer."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = None
        answer = await editor.chat("touch the marker")

    assert answer["toolCalls"] == [{"name": "run_command", "ok": False}] and not marker.exists()


async def test_cancel_request_stops_the_turn_and_keeps_what_arrived(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.token_delay = 0.05
    fake_minimax.script(Reply("word " * 400, thinking="A long answer is coming."))
    async with editor_session(repo, env) as editor:
        pending = editor.client.protocol.send_request("m2/chat", {"prompt": "say a lot"}, msg_id="chat-1")
        await editor.wait_for_delta("text")
        editor.client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-1"))
        answer = plain(await asyncio.wait_for(asyncio.wrap_future(pending), 30))
        sessions = await editor.request("m2/sessions")

    assert answer["stopReason"] == "cancelled" and answer["incomplete"] is True
    streamed = "".join(d["text"] for d in editor.deltas if d["kind"] == "text")
    assert streamed and answer["text"] == streamed and len(streamed) < len("word " * 400)
    code, shown = run_json(["sessions", "show", answer["sessionId"], "--json"], env, repo)
    assert code == 0
    kept = shown["turns"][-1]
    assert kept["kind"] == "assistant" and kept["incomplete"] is True
    assert [s["id"] for s in sessions] == [answer["sessionId"]]


async def test_cancel_during_a_tool_call_stops_the_tool_and_the_turn(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("run_command", {"command": "sleep 60", "timeout": 120})], thinking="Wait a minute."),
    )
    async with editor_session(repo, env) as editor:
        pending = editor.client.protocol.send_request("m2/chat", {"prompt": "wait"}, msg_id="chat-2")
        await editor.wait_for_delta("toolStart")
        editor.client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-2"))
        answer = plain(await asyncio.wait_for(asyncio.wrap_future(pending), 30))

    assert answer["stopReason"] == "cancelled"
    assert answer["toolCalls"] == [{"name": "run_command", "ok": False}]
    assert len(fake_minimax.requests) == 1
