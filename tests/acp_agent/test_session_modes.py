"""`m2bridge acp`'s approval policy, as session modes and as a config option: read-only refuses every
change unasked, accept-edits edits unasked but still asks before a command, and each change of mode is
announced both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block
from acp.schema import AllowedOutcome, ConfigOptionUpdate, CurrentModeUpdate, RequestPermissionResponse

from tests.fakes.minimax import CallTools, Reply
from tests.support.acp_editor import Editor, acp_editor
from tests.support.env import m2_env, make_project
from tests.support.sent import tool_results


async def new_session(editor: Editor, repo: Path) -> str:
    await editor.initialize()
    return (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id


async def test_a_new_session_offers_the_three_modes_and_the_same_choice_as_a_config_option(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        session = await editor.conn.new_session(cwd=str(repo), mcp_servers=[])
    assert session.modes is not None and session.modes.current_mode_id == "ask"
    assert [m.id for m in session.modes.available_modes] == ["ask", "accept_edits", "read_only"]
    (option,) = session.config_options or []
    assert (option.id, option.category, option.current_value) == ("mode", "mode", "ask")


async def test_read_only_refuses_a_write_without_asking_and_m2_is_told_why(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "x\n"})], thinking="Write."),
        Reply("Could not.", thinking="Refused."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        await editor.conn.set_session_mode(session_id=session_id, mode_id="read_only")
        await editor.conn.prompt(session_id=session_id, prompt=[text_block("write notes")])
    assert not (repo / "notes.txt").exists()
    assert editor.client.permission_requests == []
    (result,) = tool_results(fake_minimax.requests[1])
    assert "did not approve write_file" in str(result) and "read-only mode" in str(result)
    modes = [u.current_mode_id for _, u in editor.client.updates if isinstance(u, CurrentModeUpdate)]
    options = [u for _, u in editor.client.updates if isinstance(u, ConfigOptionUpdate)]
    assert modes == ["read_only"] and len(options) == 1


async def test_accept_edits_writes_unasked_but_still_asks_before_a_command(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "x\n"})], thinking="Write."),
        CallTools([("run_command", {"command": "echo ran > ran.txt"})], thinking="Run."),
        Reply("Done.", thinking="Both tried."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        answer = await editor.conn.set_config_option(
            config_id="mode", session_id=session_id, value="accept_edits"
        )
        editor.client.permission = RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id="reject_once")
        )
        await editor.conn.prompt(session_id=session_id, prompt=[text_block("write and run")])
    assert answer is not None and answer.config_options
    assert (repo / "notes.txt").read_text() == "x\n"
    assert not (repo / "ran.txt").exists()
    ((_, asked, _),) = editor.client.permission_requests
    assert asked.title.startswith("run_command")
    modes = [u.current_mode_id for _, u in editor.client.updates if isinstance(u, CurrentModeUpdate)]
    assert modes == ["accept_edits"]


async def test_an_unknown_mode_or_option_is_invalid_params_and_the_mode_stays(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        with pytest.raises(RequestError) as bad_mode:
            await editor.conn.set_session_mode(session_id=session_id, mode_id="yolo")
        with pytest.raises(RequestError) as bad_option:
            await editor.conn.set_config_option(config_id="model", session_id=session_id, value="x")
        with pytest.raises(RequestError) as unknown_session:
            await editor.conn.set_session_mode(session_id="nope", mode_id="ask")
    assert bad_mode.value.code == bad_option.value.code == unknown_session.value.code == -32602
    assert "ask, accept_edits, read_only" in str(bad_mode.value.data)
    assert not [u for _, u in editor.client.updates if isinstance(u, CurrentModeUpdate)]
