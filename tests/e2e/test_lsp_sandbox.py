"""`m2bridge lsp` and the sandbox (issue 16), through a real editor session: the command line and the
editor's user settings (initializationOptions) choose it, a workspace/configuration answer (which may carry
a cloned repository's workspace settings) never does, start-up says when commands run unsandboxed, and
without bubblewrap M2 is offered no process tools and told why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, make_project
from tests.support.lsp_editor import Editor, editor_session
from tests.support.no_bwrap import PROCESS_TOOLS, path_without_bwrap
from tests.support.sent import tool_results_sent


def offered(request: Any) -> set[str]:
    return {t.get("name") or t.get("function", {}).get("name") for t in request.body.get("tools", [])}


def logged_notices(editor: Editor) -> list[str]:
    return [m.message for m in editor.client.log_messages if m.message.startswith("m2bridge: ")]


def warnings(editor: Editor) -> list[str]:
    return [m.message for m in editor.client.messages if m.type == types.MessageType.Warning]


async def test_sandbox_off_on_the_command_line_is_announced_once(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("Hi."))
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), args=("--sandbox", "off")) as editor:
        await editor.chat("hello")
        [notice] = logged_notices(editor)
    assert "off" in notice
    assert offered(fake_minimax.requests[0]) >= PROCESS_TOOLS


async def test_the_editors_user_setting_chooses_read_only_and_a_write_is_refused(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("run_command", {"command": "echo planted > planted.txt"})], thinking="Write."),
        Reply("Done."),
    )
    async with editor_session(
        repo, m2_env(tmp_path, fake_minimax), initialization_options={"sandbox": "read-only"}
    ) as editor:
        editor.answer = "Allow"
        answer = await editor.chat("write a file")
    assert answer["toolCalls"] == [{"name": "run_command", "ok": True}]  # it ran, and failed
    [result] = tool_results_sent(fake_minimax)
    assert "Read-only file system" in result and not result.startswith("exit code 0;"), result
    assert not (repo / "planted.txt").exists()


async def test_a_workspace_configuration_saying_sandbox_off_changes_nothing(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    outside = tmp_path / "escaped.txt"
    fake_minimax.script(
        CallTools([("run_command", {"command": f"echo out > {outside}"})], thinking="Escape."),
        Reply("Done."),
    )
    configuration = {"m2bridge": {"sandbox": "off", "allowNetwork": True}}
    async with editor_session(repo, m2_env(tmp_path, fake_minimax), configuration=configuration) as editor:
        editor.answer = "Allow"
        answer = await editor.chat("write outside")
        shown = warnings(editor)
        notices = logged_notices(editor)
    assert answer["toolCalls"] == [{"name": "run_command", "ok": True}]  # it ran, and failed
    [result] = tool_results_sent(fake_minimax)
    assert not result.startswith("exit code 0;"), result
    assert not outside.exists()
    assert notices == []
    assert any("never from a workspace's" in w for w in shown), shown


async def test_without_bubblewrap_m2_is_offered_no_process_tools_and_told_why(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    env["PATH"] = path_without_bwrap(tmp_path / "bin", env["PATH"])
    fake_minimax.script(Reply("No commands here."))
    async with editor_session(repo, env) as editor:
        await editor.chat("run the tests")
        [notice] = logged_notices(editor)
    assert "sudo apt-get install bubblewrap" in notice
    request = fake_minimax.requests[0]
    assert "read_file" in offered(request) and not offered(request) & PROCESS_TOOLS
    assert (
        "run_command" in request.body["system"]
        and "sudo apt-get install bubblewrap" in request.body["system"]
    )


async def test_an_unknown_sandbox_setting_is_refused_naming_the_choices(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("Hi."))
    async with editor_session(
        repo,
        m2_env(tmp_path, fake_minimax),
        initialization_options={"sandbox": "loose", "allowNetwork": "yes"},
    ) as editor:
        await editor.chat("hello")
        shown = warnings(editor)
    assert any('m2bridge.sandbox must be one of "off", "read-only", "workspace-write"' in w for w in shown), (
        shown
    )
    assert any("m2bridge.allowNetwork must be true or false" in w for w in shown), shown
