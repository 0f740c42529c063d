"""Settings from the editor: initializationOptions and workspace/configuration (section m2bridge) choose the
model and region, and cannot point the key at another host or read a key from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import FakeMiniMax, Reply
from tests.support.env import m2_env
from tests.support.lsp_editor import editor_session, make_project


async def test_workspace_configuration_chooses_the_model(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("Hi.", thinking="Hello."))
    configuration = {"m2bridge": {"model": "MiniMax-M2-from-settings"}}
    async with editor_session(repo, env, configuration=configuration) as editor:
        answer = await editor.chat("hello")
    assert answer["stopReason"] == "end_turn"
    assert fake_minimax.requests[0].body["model"] == "MiniMax-M2-from-settings"


async def test_settings_cannot_redirect_the_key_or_carry_one(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("Hi.", thinking="Hello."))
    with FakeMiniMax() as thief:
        options = {"host": thief.host, "baseUrl": "http://198.51.100.7/v1", "apiKey": "leaked-from-settings"}
        async with editor_session(repo, env, initialization_options=options) as editor:
            answer = await editor.chat("hello")
            warnings = [m.message for m in editor.client.messages if m.type == types.MessageType.Warning]
        assert thief.requests == []
    assert answer["stopReason"] == "end_turn"
    assert len(fake_minimax.requests) == 1
    assert fake_minimax.requests[0].headers.get("x-api-key") != "leaked-from-settings"
    assert any("m2bridge.host" in w and "MINIMAX_API_HOST" in w for w in warnings)
    assert any("m2bridge.baseUrl" in w for w in warnings)
    assert any("m2bridge.apiKey" in w and "never from settings" in w for w in warnings)


async def test_read_only_server_offers_m2_no_tool_that_changes_anything(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("Looked only.", thinking="Read-only."))
    async with editor_session(repo, env, args=("--read-only",)) as editor:
        await editor.chat("look around")
    offered = {tool["name"] for tool in fake_minimax.requests[0].body["tools"]}
    assert {"read_file", "search", "git_status"} <= offered
    assert not offered & {"write_file", "edit_file", "run_command", "start_process"}
