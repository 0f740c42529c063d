"""Every way a chat can fail reaches the editor user as window/showMessage saying what to do, and bad
requests get JSON-RPC errors; none takes the server down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env
from tests.support.lsp_editor import editor_session, make_project


def errors_shown(editor: Any) -> list[str]:
    return [m.message for m in editor.client.messages if m.type == types.MessageType.Error]


async def test_no_key_says_where_to_set_one(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    del env["MINIMAX_API_KEY"]
    async with editor_session(repo, env) as editor:
        answer = await editor.chat("hello")
        [shown] = errors_shown(editor)
        # The server keeps serving.
        assert await editor.request("m2/sessions") == []

    assert answer["stopReason"] == "error" and answer["error"]["code"] == "config"
    assert "MINIMAX_API_KEY" in shown and "Set API Key" in shown
    assert fake_minimax.requests == []


@pytest.mark.parametrize(
    ("fault", "code", "advice"),
    [
        (Fault.api_error(1008, "insufficient balance"), "balance", "Top it up"),
        (Fault.api_error(2049, "invalid api key", http_status=401), "auth", "m2bridge.host"),
        (Fault.api_error(2013, "context window exceeds limit"), "context_overflow", "m2.newSession"),
    ],
    ids=["empty-balance", "wrong-region", "context-full"],
)
async def test_model_errors_are_shown_with_what_to_do_and_the_trace_id(
    tmp_path: Path, fake_minimax: Any, fault: Fault, code: str, advice: str
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(fault)
    async with editor_session(repo, env) as editor:
        answer = await editor.chat("hello")
        [shown] = errors_shown(editor)
        # The same server answers the next turn; the failed first turn left no session to continue.
        fake_minimax.script(Reply("Back.", thinking="Fine now."))
        again = await editor.chat("again", session_id=answer["sessionId"])

    assert answer["stopReason"] == "error" and answer["error"]["code"] == code
    assert answer["error"]["traceId"] and answer["error"]["traceId"] in shown
    assert advice in shown
    assert answer["sessionId"] is None and again["stopReason"] == "end_turn" and again["sessionId"]


async def test_unknown_session_and_bad_params_are_json_rpc_errors(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    async with editor_session(repo, env) as editor:
        with pytest.raises(JsonRpcException, match="no-such-session"):
            await editor.chat("hello", session_id="no-such-session")
        with pytest.raises(JsonRpcException, match="prompt"):
            await editor.request("m2/chat", {"sessionId": None})
        with pytest.raises(JsonRpcException, match="prompt"):
            await editor.request("m2/chat", {"prompt": 42})
        with pytest.raises(JsonRpcException, match="id"):
            await editor.request("m2/session", {})
        with pytest.raises(JsonRpcException, match="bad arguments"):
            await editor.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="m2.explain", arguments=["file:///x", "not a range"])
            )
        # Malformed editor notifications are ignored (and logged), never fatal.
        editor.client.protocol.notify("m2/selection", {"uri": 7, "range": "no"})
        editor.client.protocol.notify("m2/diagnostics", {"uri": "file:///x", "diagnostics": "many"})
        assert await editor.request("m2/sessions") == []
    assert fake_minimax.requests == []
