"""Every turn is announced to an editor that shows turns itself (`experimental.m2Turns`): `m2/turnStarted`
with its prompt and origin before it runs, its deltas, and exactly one `m2/turnEnded` after, also when it
fails or is stopped. Such an editor gets no toast for a turn's answer or error; other editors keep theirs.

Regression for issue 15, finding 1: a code action's turn streamed into VS Code's chat view but never
ended there, and the view stayed locked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env
from tests.support.lsp_editor import Editor, editor_session, make_project, plain

SPAN = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}


def shown(editor: Editor) -> list[str]:
    return [m.message for m in editor.client.messages]


def methods(editor: Editor) -> list[str]:
    """The turn's notifications in order, with the run of deltas written once."""
    names: list[str] = []
    for method, _ in editor.turn_events:
        if not (names and names[-1] == method == "m2/chatDelta"):
            names.append(method)
    return names


def started(editor: Editor) -> list[dict[str, Any]]:
    return [p for m, p in editor.turn_events if m == "m2/turnStarted"]


def ended(editor: Editor) -> list[dict[str, Any]]:
    return [p for m, p in editor.turn_events if m == "m2/turnEnded"]


async def explain(editor: Editor, uri: str) -> dict[str, Any]:
    return plain(
        await editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="m2.explain", arguments=[uri, SPAN])
        )
    )


async def test_a_code_action_turn_is_announced_with_its_prompt_and_ended_with_its_result(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("It returns one.", thinking="Explain."))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), offers_turns=True) as editor:
        uri = editor.open("app.py")
        answer = await explain(editor, uri)

    assert methods(editor) == ["m2/turnStarted", "m2/chatDelta", "m2/turnEnded"]
    [start] = started(editor)
    prompt = fake_minimax.requests[0].body["messages"][-1]["content"][-1]["text"]
    assert start == {"sessionId": None, "prompt": prompt, "origin": "codeAction"}
    assert "lines 1-2" in start["prompt"]
    assert ended(editor) == [{"sessionId": answer["sessionId"], "result": answer}]
    assert answer["stopReason"] == "end_turn" and answer["text"] == "It returns one."
    # The chat view shows the answer: no toast repeats it.
    assert not any("It returns one." in m for m in shown(editor))


async def test_an_editor_without_the_capability_gets_no_turn_events_and_keeps_the_toast(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("It returns one.", thinking="Explain."))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax)) as editor:
        uri = editor.open("app.py")
        await explain(editor, uri)

    assert methods(editor) == ["m2/chatDelta"]
    assert any("It returns one." in m for m in shown(editor))


async def test_chat_turns_are_announced_with_origin_chat_in_the_session_they_continue(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("One.", thinking="a"), Reply("Two.", thinking="b"))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), offers_turns=True) as editor:
        first = await editor.chat("first")
        second = plain(
            await editor.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="m2.chat", arguments=["second"])
            )
        )

    assert started(editor) == [
        {"sessionId": None, "prompt": "first", "origin": "chat"},
        {"sessionId": first["sessionId"], "prompt": "second", "origin": "chat"},
    ]
    assert [e["result"]["text"] for e in ended(editor)] == ["One.", "Two."]
    assert second["sessionId"] == first["sessionId"]
    assert not any("Two." in m for m in shown(editor))


async def test_a_turn_without_a_key_ends_with_the_error_and_shows_no_toast(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    del env["MINIMAX_API_KEY"]
    async with editor_session(repo, env, offers_turns=True) as editor:
        uri = editor.open("app.py")
        answer = await explain(editor, uri)

    assert methods(editor) == ["m2/turnStarted", "m2/turnEnded"]
    [end] = ended(editor)
    assert end["sessionId"] is None and end["result"] == answer
    assert answer["stopReason"] == "error" and answer["error"]["code"] == "config"
    assert not [m for m in editor.client.messages if m.type == types.MessageType.Error]
    assert fake_minimax.requests == []


async def test_a_rejected_key_ends_the_turn_with_the_code_and_the_trace_id(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Fault.api_error(2049, "invalid api key", http_status=401))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), offers_turns=True) as editor:
        answer = await editor.chat("hello")

    [end] = ended(editor)
    assert end["result"]["error"]["code"] == "auth" and end["result"]["error"]["traceId"]
    assert end["result"] == answer
    assert not [m for m in editor.client.messages if m.type == types.MessageType.Error]


async def test_a_turn_refused_with_a_json_rpc_error_still_ends(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), offers_turns=True) as editor:
        with pytest.raises(JsonRpcException, match="no-such-session"):
            await editor.chat("hello", session_id="no-such-session")

    assert methods(editor) == ["m2/turnStarted", "m2/turnEnded"]
    [end] = ended(editor)
    assert end["result"]["stopReason"] == "error"
    assert end["result"]["error"]["code"] == "session_not_found"


async def test_m2_stop_stops_a_code_action_turn_which_ends_as_cancelled(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.token_delay = 0.05
    fake_minimax.script(Reply("word " * 400, thinking="A long answer is coming."))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), offers_turns=True) as editor:
        uri = editor.open("app.py")
        running = asyncio.ensure_future(explain(editor, uri))
        await editor.wait_for_delta("text")
        stopped = plain(
            await editor.client.workspace_execute_command_async(types.ExecuteCommandParams(command="m2.stop"))
        )
        answer = await asyncio.wait_for(running, 30)
        idle = plain(
            await editor.client.workspace_execute_command_async(types.ExecuteCommandParams(command="m2.stop"))
        )

    assert stopped == {"stopped": 1} and idle == {"stopped": 0}
    assert answer["stopReason"] == "cancelled" and len(answer["text"]) < len("word " * 400)
    [end] = ended(editor)
    assert end["result"] == answer
    assert not any("stopped" in m for m in shown(editor))
