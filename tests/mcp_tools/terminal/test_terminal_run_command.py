"""run_command against real processes: limits, process groups, cancellation, secrets and the path policy."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import sys
from pathlib import Path

import anyio
import pytest

from m2bridge.tools import ToolOutcome, progress_reporter
from mcp_tools.base import ModelTool
from mcp_tools.terminal import RunCommand
from mcp_tools.tool_context import ToolContext
from tests.mcp_tools.terminal.procs import our_zombies, still_running, token_holders

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups and ptys are POSIX")


def _spill_path(outcome: ToolOutcome) -> Path:
    match = re.search(r"whole output in (\S+)", outcome.content)
    assert match, outcome.content[:300]
    return Path(match.group(1))


class _PeakMemory:
    """Growth of this process's resident memory at its peak while the block ran (bytes)."""

    def __enter__(self) -> _PeakMemory:
        self.linux = Path("/proc/self/clear_refs").exists()
        if self.linux:
            Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
            self.base = self._status("VmRSS")
        else:  # macOS: ru_maxrss (bytes there) cannot be reset; growth of the lifetime peak is a bound
            self.base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def __exit__(self, *exc: object) -> None:
        peak = self._status("VmHWM") if self.linux else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.growth = peak - self.base

    @staticmethod
    def _status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"{field} missing from /proc/self/status")


async def test_run_command_reports_a_non_zero_exit_in_its_first_line_as_a_normal_result(tools):
    outcome = await tools["run_command"].call({"command": "echo broken >&2; exit 2"})
    assert not outcome.is_error
    assert outcome.content.splitlines()[0].startswith("exit code 2")
    assert "broken" in outcome.content


async def test_run_command_returns_short_output_whole_and_keeps_no_spill_file(tools, ctx: ToolContext):
    outcome = await tools["run_command"].call({"command": "printf 'one\\ntwo\\n'"})
    assert outcome.content.splitlines()[0].startswith("exit code 0")
    assert outcome.content.endswith("one\ntwo\n")
    assert list(ctx.spill.folder.iterdir()) == []


async def test_run_command_keeps_memory_bounded_on_100_mb_of_output_and_spills_all_of_it(tools, ctx):
    command = "head -c 100000000 /dev/zero | tr '\\0' x; echo; echo the-end"
    with _PeakMemory() as memory:
        outcome = await tools["run_command"].call({"command": command, "timeout": 60})
    assert memory.growth < 60 * 1024 * 1024, f"memory grew by {memory.growth / 1e6:.1f} MB"
    assert not outcome.is_error
    assert len(outcome.content) <= ctx.budget
    assert outcome.content.splitlines()[0].startswith("exit code 0")
    assert "xxxxxxxxxx" in outcome.content
    assert outcome.content.rstrip().endswith("the-end")
    assert "bytes omitted" in outcome.content
    spilled = _spill_path(outcome)
    assert spilled.stat().st_size == 100_000_000 + len("\nthe-end\n")
    # The spill folder is a read-only root: read_file can page through it.
    assert ctx.resolve(str(spilled)) == spilled


async def test_run_command_kills_the_whole_group_when_the_timeout_passes(tools, token: str):
    command = "sleep 300 & echo child=$!; sleep 300"
    started = anyio.current_time()
    outcome = await tools["run_command"].call({"command": command, "timeout": 1})
    assert anyio.current_time() - started < 5
    assert outcome.is_error
    assert outcome.content.startswith("killed after the 1 s timeout")
    assert "child=" in outcome.content
    assert still_running(token) == []
    assert our_zombies() == []  # the leader itself was reaped, not left a zombie


async def test_run_command_kills_a_silent_command_after_the_idle_timeout(tools, token: str):
    outcome = await tools["run_command"].call(
        {"command": "echo up; sleep 300", "timeout": 30, "idle_timeout": 0.5}
    )
    assert outcome.is_error
    assert "without output (idle_timeout)" in outcome.content.splitlines()[0]
    assert "ran 0." in outcome.content or "ran 1." in outcome.content
    assert still_running(token) == []


async def test_run_command_idle_timeout_is_reset_by_output(tools):
    command = "for i in 1 2 3 4 5 6; do echo tick; sleep 0.2; done"
    outcome = await tools["run_command"].call({"command": command, "idle_timeout": 0.6})
    assert not outcome.is_error
    assert outcome.content.count("tick") == 6


@pytest.mark.parametrize("timeout", [601, 0, -1, float("inf")])
async def test_run_command_refuses_a_timeout_outside_0_to_600_seconds(tools, repo: Path, timeout):
    outcome = await tools["run_command"].call({"command": "touch marker", "timeout": timeout})
    assert outcome.is_error
    assert "timeout must be more than 0 and at most 600 seconds" in outcome.content
    assert not (repo / "marker").exists()


async def test_a_hundred_runs_leave_no_zombie_or_stray_process_nor_open_descriptor(tools, token: str):
    await tools["run_command"].call({"command": "true"})  # warm up whatever the first run opens once
    fds_before = len(os.listdir("/dev/fd"))
    for _ in range(100):
        outcome = await tools["run_command"].call({"command": "echo pid=$$; true | cat"})
        assert outcome.content.startswith("exit code 0"), outcome.content
    assert our_zombies() == []
    assert still_running(token, within=0.5) == []
    assert len(os.listdir("/dev/fd")) <= fds_before


async def test_the_api_key_never_reaches_a_child_environment(tools):
    ran = await tools["run_command"].call({"command": "env"})
    assert "PATH=" in ran.content
    assert "sk-secret" not in ran.content and "MINIMAX_API_KEY" not in ran.content
    started = await tools["start_process"].call({"command": "env; echo env-done", "wait_for": "env-done"})
    assert "PATH=" in started.content
    assert "sk-secret" not in started.content and "MINIMAX_API_KEY" not in started.content


@pytest.mark.parametrize(
    ("cwd", "why"),
    [
        ("..", "outside the allowed roots"),
        ("/etc", "outside the allowed roots"),
        ("out", "outside the allowed roots"),  # a symlink leading out
        ("out/inner", "outside the allowed roots"),
        ("../repo-evil", "outside the allowed roots"),  # a sibling sharing the root's prefix
        ("~", "`~` is not expanded"),
        ("sub\x00dir", "NUL byte"),
        ("missing", "not a folder"),
    ],
)
async def test_a_cwd_outside_the_roots_or_not_a_folder_is_refused_and_nothing_runs(
    tools: dict[str, ModelTool], tmp_path: Path, repo: Path, cwd: str, why: str
):
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (tmp_path / "repo-evil").mkdir()
    (repo / "out").symlink_to(outside)
    for tool in ("run_command", "start_process"):
        outcome = await tools[tool].call({"command": "touch marker", "cwd": cwd})
        assert outcome.is_error, outcome.content
        assert outcome.content.startswith(f"{tool}: ") and why in outcome.content, outcome.content
    assert not list(tmp_path.rglob("marker"))


async def test_the_spill_folder_is_not_a_place_to_run_commands(tools, ctx: ToolContext):
    outcome = await tools["run_command"].call({"command": "touch marker", "cwd": str(ctx.spill.folder)})
    assert outcome.is_error
    assert "read-only" in outcome.content
    assert not (ctx.spill.folder / "marker").exists()


async def test_run_command_runs_in_the_given_folder_with_the_given_stdin(tools, repo: Path):
    (repo / "sub").mkdir()
    outcome = await tools["run_command"].call({"command": "pwd; cat", "cwd": "sub", "stdin": "fed in\n"})
    assert f"{repo / 'sub'}\nfed in\n" in outcome.content


@pytest.mark.parametrize("how", ["anyio-cancel-scope", "asyncio-task-cancel"])
async def test_cancelling_run_command_kills_its_group(tools, repo: Path, token: str, how: str):
    call = tools["run_command"].call({"command": "sleep 300 & echo $$ > started.txt; sleep 300"})
    marker = repo / "started.txt"

    async def started() -> None:
        with anyio.fail_after(10):
            while not marker.exists() or not marker.read_text().strip():
                await anyio.sleep(0.02)
        assert len(token_holders(token)) >= 3  # the shell and its two sleeps, at least

    if how == "anyio-cancel-scope":
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: call)
            await started()
            group.cancel_scope.cancel()
    else:
        task = asyncio.ensure_future(call)
        await started()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert still_running(token) == []
    assert our_zombies() == []


async def test_run_command_stops_background_processes_it_leaves_without_waiting_for_the_timeout(
    tools, token: str
):
    started = anyio.current_time()
    outcome = await tools["run_command"].call({"command": "sleep 300 &", "timeout": 30})
    assert anyio.current_time() - started < 5
    assert outcome.content.startswith("exit code 0")
    assert "they were stopped" in outcome.content
    assert still_running(token) == []


async def test_run_command_reports_progress_while_it_runs(ctx: ToolContext):
    seen: list[tuple[float, float | None, str | None]] = []

    async def reporter(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    token = progress_reporter.set(reporter)
    try:
        outcome = await RunCommand(ctx, progress_every=0.1).call(
            {"command": "echo hello; sleep 0.6", "timeout": 9}
        )
    finally:
        progress_reporter.reset(token)
    assert outcome.content.startswith("exit code 0")
    assert len(seen) >= 3
    assert all(total == 9 for _, total, _ in seen)
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen)
    assert seen[-1][2] == "6 bytes of output so far"


async def test_run_command_reports_a_command_killed_by_a_signal(tools):
    outcome = await tools["run_command"].call({"command": "kill -SEGV $$"})
    # In the sandbox bubblewrap passes a signal on as a shell does: 128 + its number.
    assert outcome.content.startswith(("killed by SIGSEGV", "exit code 139 (128 + SIGSEGV)"))
