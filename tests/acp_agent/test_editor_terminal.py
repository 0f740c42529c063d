"""`m2bridge acp` with an editor that offers terminals: run_command runs in `terminal/create`, shown in its
tool call, within the same limits (a timeout kills through `terminal/kill`), always released, with the
same answer for M2; in the sandbox when the sandbox is on; locally without the capability or with stdin."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from acp import text_block
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    RequestPermissionResponse,
    TerminalToolCallContent,
    ToolCallProgress,
    ToolCallStart,
)

from mcp_tools.sandbox import sandbox_support
from tests.fakes.minimax import CallTools, Reply
from tests.support.acp_editor import EVERYTHING, Editor, acp_editor
from tests.support.env import m2_env, make_project
from tests.support.sent import tool_results

ALLOW = RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id="allow_always"))


async def one_turn(editor: Editor, repo: Path, capabilities: ClientCapabilities) -> str:
    await editor.initialize(capabilities)
    session_id = (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id
    editor.client.permission = ALLOW
    await editor.conn.prompt(session_id=session_id, prompt=[text_block("run it")])
    return session_id


def result_of(fake: Any) -> str:
    (result,) = tool_results(fake.requests[1])
    return json.loads(result) if result.startswith('"') else result


def methods(editor: Editor) -> list[str]:
    return [r[0] for r in editor.client.requests if r[0] != "terminal/output"]


async def test_run_command_runs_in_the_editors_terminal_and_m2_gets_its_output_and_exit_code(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    command = "echo hello from the terminal; pwd; exit 3"
    fake_minimax.script(CallTools([("run_command", {"command": command})]), Reply("It ran."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await one_turn(editor, repo, EVERYTHING)

    ((_, asked_session, terminal_id, program, cwd, env),) = editor.client.asked("terminal/create")
    assert asked_session == session_id
    # --sandbox off: the shell through `enter`, which only drops the secret variables
    assert program[:4] == [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter"]
    assert json.loads(program[4])["mode"] == "off" and program[5:] == ["--", "/bin/sh", "-c", command]
    assert cwd == str(repo.resolve())
    assert "MINIMAX_API_KEY" not in env and env["PATH"]
    assert methods(editor) == ["terminal/create", "terminal/wait_for_exit", "terminal/release"]
    result = result_of(fake_minimax)
    assert result.splitlines()[0].startswith("exit code 3; ran ")
    assert "hello from the terminal" in result and str(repo.resolve()) in result
    assert editor.client.terminals[terminal_id].released


async def test_the_terminal_is_shown_in_the_tool_call_that_runs_it(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"}), ("run_command", {"command": "echo shown"})]),
        Reply("Shown."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, EVERYTHING)

    updates = [u for _, u in editor.client.updates]
    run = next(u for u in updates if isinstance(u, ToolCallStart) and u.title.startswith("run_command"))
    shown = [
        (u.tool_call_id, c.terminal_id)
        for u in updates
        if isinstance(u, ToolCallProgress)
        for c in u.content or []
        if isinstance(c, TerminalToolCallContent)
    ]
    ((_, _, terminal_id, *_),) = editor.client.asked("terminal/create")
    assert shown and set(shown) == {(run.tool_call_id, terminal_id)}
    # In order: announced, then shown, and still shown in the call's last update (which replaces content).
    of_run = [u for u in updates if getattr(u, "tool_call_id", None) == run.tool_call_id]
    assert of_run[0] is run and isinstance(of_run[1], ToolCallProgress)
    last = of_run[-1]
    assert last.status == "completed"
    assert [c.terminal_id for c in last.content or [] if isinstance(c, TerminalToolCallContent)] == [
        terminal_id
    ]


async def test_a_command_past_its_timeout_is_killed_through_the_editor_and_released(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("run_command", {"command": "echo started; sleep 60", "timeout": 1})]), Reply("Too slow.")
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, EVERYTHING)
        (terminal,) = editor.client.terminals.values()
        assert terminal.process.returncode is not None  # gone before the turn ended, not at teardown

    assert "terminal/kill" in methods(editor)
    assert methods(editor)[-1] == "terminal/release"
    result = result_of(fake_minimax)
    assert result.startswith("killed after the 1 s timeout") and "started" in result


async def test_an_idle_command_is_killed_after_its_idle_timeout(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    arguments = {"command": "echo waiting; sleep 60", "idle_timeout": 1, "timeout": 30}
    fake_minimax.script(CallTools([("run_command", arguments)]), Reply("It hung."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, EVERYTHING)

    assert "terminal/output" in [r[0] for r in editor.client.requests]
    assert methods(editor)[-2:] == ["terminal/wait_for_exit", "terminal/release"]
    assert "terminal/kill" in methods(editor)
    assert result_of(fake_minimax).startswith("killed after 1 s without output (idle_timeout)")


async def test_a_command_with_stdin_runs_locally_as_the_editors_terminal_has_no_input(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(CallTools([("run_command", {"command": "cat", "stdin": "fed in\n"})]), Reply("Fed."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, EVERYTHING)

    assert editor.client.requests == []
    assert "fed in" in result_of(fake_minimax)


async def test_without_the_terminal_capability_commands_run_locally(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(CallTools([("run_command", {"command": "echo local; exit 4"})]), Reply("Local."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, ClientCapabilities())

    assert editor.client.requests == []
    result = result_of(fake_minimax)
    assert result.startswith("exit code 4") and "local" in result


async def test_a_cwd_outside_the_folder_is_refused_before_any_terminal_request(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    (repo / "escape").symlink_to(tmp_path)
    fake_minimax.script(
        CallTools(
            [
                ("run_command", {"command": "pwd", "cwd": ".."}),
                ("run_command", {"command": "pwd", "cwd": "/"}),
                ("run_command", {"command": "pwd", "cwd": "escape"}),
            ]
        ),
        Reply("Refused."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await one_turn(editor, repo, EVERYTHING)

    assert editor.client.requests == []
    results = tool_results(fake_minimax.requests[1])
    assert len(results) == 3 and all("outside the allowed roots" in r for r in results), results


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and sandbox_support().available), reason="needs bubblewrap"
)
async def test_with_the_sandbox_on_the_editor_is_given_the_sandboxed_command_line(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    # Outside /tmp, which the sandbox replaces with its own: a write that escaped would land here.
    elsewhere = Path(tempfile.mkdtemp(prefix="m2bridge-acp-terminal-", dir="/var/tmp"))
    outside = elsewhere / "outside.txt"
    command = f"echo inside > made.txt; echo escaped > {outside}; echo done"
    fake_minimax.script(CallTools([("run_command", {"command": command})]), Reply("Confined."))
    env = m2_env(tmp_path, fake_minimax)
    try:
        async with acp_editor(repo, env, "--sandbox", "workspace-write") as editor:
            await one_turn(editor, repo, EVERYTHING)
        assert not outside.exists()
    finally:
        shutil.rmtree(elsewhere)

    ((*_, program, _, _),) = editor.client.asked("terminal/create")
    assert program[:4] == [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter"]
    assert program[-4:] == ["--", "/bin/sh", "-c", command]
    assert (repo / "made.txt").read_text() == "inside\n"
    result = result_of(fake_minimax)
    assert "Read-only file system" in result and "done" in result


async def test_a_key_in_the_editors_own_environment_never_reaches_the_command(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    command = 'echo "key=${MINIMAX_API_KEY:-none} other=${M2BRIDGE_API_KEY:-none} path=${PATH:+set}"'
    fake_minimax.script(CallTools([("run_command", {"command": command})]), Reply("It ran."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.own_environment = {
            "MINIMAX_API_KEY": "editor-secret",
            "M2BRIDGE_API_KEY": "other-secret",
        }
        await one_turn(editor, repo, EVERYTHING)
    result = result_of(fake_minimax)
    assert "key=none other=none path=set" in result and "secret" not in result
