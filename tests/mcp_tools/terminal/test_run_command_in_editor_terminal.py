"""run_command with a `CommandTerminal` in its context: the command line (sandboxed or not), environment and
folder it hands the editor, the answer it makes of the editor's output, and the terminal always released.

The editor here is a small real one: each command a real process in a group of its own, its output kept up
to the byte limit asked for (the beginning dropped beyond it), as ACP's terminal/* describe."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio
import pytest

from mcp_tools.failure import ToolFailure
from mcp_tools.sandbox import SandboxMode, SandboxPolicy, sandbox_support
from mcp_tools.terminal import RunCommand
from mcp_tools.terminal.editor_port import TerminalExit, TerminalOutput
from mcp_tools.terminal.run import EDITOR_OUTPUT_LIMIT
from mcp_tools.tool_context import ToolContext

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")

OFF = SandboxPolicy(mode=SandboxMode.OFF)


class Running:
    def __init__(self, editor: Editor, process: asyncio.subprocess.Process, limit: int) -> None:
        self.editor = editor
        self.process = process
        self.limit = limit
        self.kept = bytearray()
        self.truncated = False
        self.released = False
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self.kept += chunk
            if len(self.kept) > self.limit:
                del self.kept[: len(self.kept) - self.limit]
                self.truncated = True

    def _exit(self) -> TerminalExit | None:
        code = self.process.returncode
        if code is None or not self.reader.done():
            return None
        return TerminalExit(None, signal.Signals(-code).name) if code < 0 else TerminalExit(code)

    async def output(self) -> TerminalOutput:
        self.editor.calls.append("output")
        return TerminalOutput(self.kept.decode(errors="replace"), self.truncated, self._exit())

    async def wait_for_exit(self) -> TerminalExit:
        self.editor.calls.append("wait_for_exit")
        if self.editor.fail_wait:
            raise RuntimeError("the editor lost track of the terminal")
        await self.process.wait()
        await self.reader
        status = self._exit()
        assert status is not None
        return status

    async def kill(self) -> None:
        self.editor.calls.append("kill")
        self._kill()

    async def release(self) -> None:
        self.editor.calls.append("release")
        self._kill()  # as ACP says: release kills a command still running
        self.released = True

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Editor:
    """A `CommandTerminal` running commands for real."""

    def __init__(self, *, refuse: bool = False, fail_wait: bool = False) -> None:
        self.refuse = refuse
        self.fail_wait = fail_wait
        self.calls: list[str] = []
        self.created: list[tuple[list[str], str, dict[str, str], int]] = []
        self.terminals: list[Running] = []

    async def create(
        self, program: Sequence[str], *, cwd: str, env: Mapping[str, str], output_byte_limit: int
    ) -> Running:
        self.calls.append("create")
        self.created.append((list(program), cwd, dict(env), output_byte_limit))
        if self.refuse:
            raise ToolFailure("the editor did not start the command (no terminals here); nothing was run")
        process = await asyncio.create_subprocess_exec(
            *program,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        running = Running(self, process, output_byte_limit)
        self.terminals.append(running)
        return running

    async def close(self) -> None:
        for running in self.terminals:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(running.process.pid, signal.SIGKILL)
            await running.process.wait()
            running.reader.cancel()


@pytest.fixture
async def editor() -> Editor:
    made = Editor()
    yield made  # type: ignore[misc]
    await made.close()


def run_command(ctx: ToolContext, editor: Editor, *, sandbox: SandboxPolicy = OFF) -> RunCommand:
    return RunCommand(dataclasses.replace(ctx, terminal=editor, sandbox=sandbox), progress_every=0.2)


async def test_the_editor_gets_the_shell_the_folder_and_the_environment_of_a_local_run(
    ctx: ToolContext, editor: Editor, repo: Path
) -> None:
    (repo / "sub").mkdir()
    outcome = await run_command(ctx, editor).call({"command": "echo hi; pwd; exit 5", "cwd": "sub"})

    ((program, cwd, env, limit),) = editor.created
    assert program[:4] == [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter"]
    assert program[5:] == ["--", "/bin/sh", "-c", "echo hi; pwd; exit 5"]
    assert cwd == str(repo.resolve() / "sub")
    assert env == dict(ctx.child_env) and "MINIMAX_API_KEY" not in env
    assert limit == EDITOR_OUTPUT_LIMIT
    assert editor.calls == ["create", "wait_for_exit", "output", "release"]
    printed = f"hi\n{repo.resolve()}/sub\n"
    status, blank, *body = outcome.content.splitlines()
    assert status.startswith("exit code 5; ran ") and status.endswith(f"; {len(printed)} bytes of output")
    assert blank == "" and body == printed.splitlines() and not outcome.is_error


async def test_an_editor_that_refuses_to_start_the_command_is_reported_and_nothing_runs(
    ctx: ToolContext, repo: Path
) -> None:
    editor = Editor(refuse=True)
    outcome = await run_command(ctx, editor).call({"command": "touch ran.txt"})

    assert outcome.is_error and "the editor did not start the command" in outcome.content
    assert not (repo / "ran.txt").exists()
    assert editor.calls == ["create"]


async def test_an_editor_failing_to_report_the_exit_is_an_error_and_the_terminal_is_released(
    ctx: ToolContext, repo: Path
) -> None:
    editor = Editor(fail_wait=True)
    try:
        outcome = await run_command(ctx, editor).call({"command": "sleep 60", "timeout": 30})
    finally:
        await editor.close()

    assert outcome.is_error and "the editor lost track of the terminal" in outcome.content
    assert editor.calls[-1] == "release" and editor.terminals[0].released


async def test_output_beyond_the_editors_limit_is_said_to_be_lost_and_the_rest_spilled(
    ctx: ToolContext, editor: Editor
) -> None:
    size = EDITOR_OUTPUT_LIMIT + 100_000
    command = f"head -c {size} /dev/zero | tr '\\0' a; echo; echo the end"
    outcome = await run_command(ctx, editor).call({"command": command})

    lines = outcome.content.splitlines()
    assert lines[0].startswith("exit code 0") and "whole output in" in lines[0]
    assert f"The editor kept only the last {EDITOR_OUTPUT_LIMIT} bytes of the output" in lines[1]
    assert outcome.content.rstrip().endswith("the end")


async def test_a_cancelled_call_still_releases_the_terminal(ctx: ToolContext, editor: Editor) -> None:
    tool = run_command(ctx, editor)
    with anyio.move_on_after(1):
        await tool.call({"command": "sleep 60"})

    assert editor.calls[-1] == "release"
    (running,) = editor.terminals
    assert running.released
    assert await asyncio.wait_for(running.process.wait(), 10) < 0  # killed, not left running


async def test_a_command_with_stdin_runs_here_not_in_the_editor(ctx: ToolContext, editor: Editor) -> None:
    outcome = await run_command(ctx, editor).call({"command": "cat", "stdin": "given\n"})

    assert editor.calls == []
    assert "given" in outcome.content


async def test_a_cwd_outside_the_roots_is_refused_before_the_editor_is_asked(
    ctx: ToolContext, editor: Editor, tmp_path: Path
) -> None:
    (ctx.policy.primary / "out").symlink_to(tmp_path)
    for cwd in ("..", "/", "out"):
        outcome = await run_command(ctx, editor).call({"command": "pwd", "cwd": cwd})
        assert outcome.is_error and "outside the allowed roots" in outcome.content

    assert editor.calls == []


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and sandbox_support().available), reason="needs bubblewrap"
)
async def test_with_the_sandbox_on_the_editor_runs_the_command_confined(
    ctx: ToolContext, editor: Editor, repo: Path
) -> None:
    policy = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE)
    command = "echo inside > made.txt; touch /etc/m2bridge-escaped; echo done"
    outcome = await run_command(ctx, editor, sandbox=policy).call({"command": command})

    ((program, *_),) = editor.created
    assert program[:4] == [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter"]
    assert program[-4:] == ["--", "/bin/sh", "-c", command]
    assert (repo / "made.txt").read_text() == "inside\n"
    assert not Path("/etc/m2bridge-escaped").exists()
    assert "Read-only file system" in outcome.content and "done" in outcome.content
