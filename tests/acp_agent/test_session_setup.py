"""`m2bridge acp` end to end, set-up half: the real agent subprocess driven by the ACP Python SDK's client
side connection over its stdio (initialize, session/new, session/list, and the errors a client can cause)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from acp import PROTOCOL_VERSION, RequestError

from tests.support.acp_editor import acp_editor
from tests.support.env import m2_env, make_project, run_json


async def test_initialize_answers_protocol_version_1_with_the_agent_and_its_prompt_capabilities(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        answer = await editor.initialize()
    assert answer.protocol_version == PROTOCOL_VERSION == 1
    assert answer.agent_info is not None and answer.agent_info.name == "m2bridge"
    capabilities = answer.agent_capabilities
    assert capabilities is not None and capabilities.prompt_capabilities is not None
    assert capabilities.prompt_capabilities.embedded_context is True
    assert capabilities.prompt_capabilities.image is False


async def test_a_new_session_is_a_stored_session_with_the_id_sessions_list_shows(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    async with acp_editor(repo, env) as editor:
        await editor.initialize()
        session = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
        code, listed = run_json(["sessions", "list", "--json"], env, repo)
        acp_listed = await editor.conn.list_sessions(cwd=str(repo))
    assert code == 0 and session.session_id in [row["id"] for row in listed]
    assert [info.session_id for info in acp_listed.sessions] == [session.session_id]
    assert acp_listed.sessions[0].cwd == str(repo.resolve())


async def test_a_session_that_never_got_a_turn_is_dropped_when_the_agent_exits(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    async with acp_editor(repo, env) as editor:
        await editor.initialize()
        await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert run_json(["sessions", "list", "--json"], env, repo) == (0, [])


async def test_initialize_offers_the_api_key_as_an_environment_variable_to_authenticate_with(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    with_key = m2_env(tmp_path, fake_minimax)
    without = {k: v for k, v in with_key.items() if k != "MINIMAX_API_KEY"}
    async with acp_editor(repo, without) as editor:
        answer = await editor.initialize()
        with pytest.raises(RequestError) as no_key:
            await editor.conn.authenticate(method_id="minimax-api-key")
        with pytest.raises(RequestError) as unknown:
            await editor.conn.authenticate(method_id="oauth")
    async with acp_editor(repo, with_key) as editor:
        await editor.initialize()
        assert await editor.conn.authenticate(method_id="minimax-api-key") is not None
    (method,) = answer.auth_methods
    assert (method.type, method.id) == ("env_var", "minimax-api-key")
    assert [v.name for v in method.vars] == ["MINIMAX_API_KEY", "MINIMAX_API_HOST"]
    assert no_key.value.code == -32000 and "MINIMAX_API_KEY" in str(no_key.value)
    assert unknown.value.code == -32602


async def test_without_a_key_session_new_is_auth_required_with_the_message_every_command_gives(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    del env["MINIMAX_API_KEY"]
    async with acp_editor(repo, env) as editor:
        await editor.initialize()
        with pytest.raises(RequestError) as raised:
            await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert raised.value.code == -32000  # ACP's auth_required
    assert "MINIMAX_API_KEY" in str(raised.value)


@pytest.mark.parametrize(
    ("cwd", "reason"),
    [
        ("relative/folder", "absolute"),
        ("/no/such/folder/anywhere", "not an existing folder"),
        ("/tmp/\0/x", "NUL byte"),
    ],
)
async def test_a_cwd_that_is_relative_or_missing_is_invalid_params_saying_why(
    tmp_path: Path, fake_minimax: Any, cwd: str, reason: str
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        with pytest.raises(RequestError) as raised:
            await editor.conn.new_session(cwd=cwd, mcp_servers=[])
        # The agent keeps serving.
        still = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert raised.value.code == -32602
    assert reason in json.dumps(raised.value.data)
    assert still.session_id


async def test_a_malformed_json_rpc_line_is_answered_and_the_agent_keeps_serving(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        stdin = editor.process.stdin
        stdin.write(b"{this is not json\n")
        stdin.write(b'{"jsonrpc": "2.0", "id": 99, "method": "session/new", "params": {"cwd": 5}}\n')
        await stdin.drain()
        await asyncio.sleep(0.2)
        answer = await editor.initialize()
        session = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert answer.protocol_version == 1
    assert session.session_id
