"""Processes that leave the command's group (setsid, a daemon's double fork) still end with the command.

Each command below starts escapees the old process-group kill never reached, writes their pids to files
(once they are up), and the tests check in /proc that nothing of the command is left once the tool call
(or the registry) is done: no process carrying the test's token (see procs.py; the pids the commands
write are their sandbox's, not ours).
"""

from __future__ import annotations

import shlex
import sys
import threading
from pathlib import Path

import anyio
import pytest

from mcp_tools.terminal import ProcessRegistry, RunCommand, terminal_tools
from mcp_tools.terminal.groups import stop_group
from mcp_tools.terminal.jobs import Job, start_job
from mcp_tools.tool_context import ToolContext
from tests.mcp_tools.terminal.procs import (
    all_gone,
    is_alive,
    our_zombies,
    read_pids,
    still_running,
    token_holders,
    zombies_below,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="descendants are tracked on Linux (subreaper, /proc)"
)

PYTHON = shlex.quote(sys.executable)
_QUIET = "</dev/null >/dev/null 2>&1"
# name -> a shell line that starts one process outside the command's group and writes its pid to `name`.
ESCAPEES = {
    # setsid(2) in the background child itself: a new session, same pid.
    "setsid.pid": f"setsid sleep 300 {_QUIET} & echo $! > setsid.pid",
    # The same, from a shell that exits at once: the sleeper is orphaned.
    "orphan.pid": f"sh -c 'setsid sleep 301 {_QUIET} & echo $! > orphan.pid'",
    # A classic daemon: fork, setsid, fork again, the first two exit.
    "daemon.pid": (
        f'{PYTHON} -c "import os, time; os.fork() and os._exit(0); os.setsid(); '
        "os.fork() and os._exit(0); open('daemon.pid', 'w').write(f'{os.getpid()}\\n'); "
        f'time.sleep(302)" {_QUIET}'
    ),
}
NAMES = list(ESCAPEES)
# Start them all, and go on only once every pid is written.
SPAWN = (
    "; ".join(ESCAPEES.values())
    + "; "
    + " ".join(f"while [ ! -s {name} ]; do sleep 0.02; done;" for name in NAMES)
)


async def test_run_command_timeout_ends_descendants_that_left_the_group(tools, repo: Path, token: str):
    outcome = await tools["run_command"].call({"command": SPAWN + " sleep 300", "timeout": 2})
    assert outcome.content.startswith("killed after the 2 s timeout"), outcome.content
    read_pids(repo, NAMES)  # they were all up
    assert still_running(token) == [], "survived the timeout"
    assert our_zombies() == []


async def test_a_command_that_exits_leaving_a_daemon_has_the_daemon_stopped(tools, repo: Path, token: str):
    outcome = await tools["run_command"].call({"command": SPAWN + " echo done", "timeout": 30})
    read_pids(repo, NAMES)
    assert outcome.content.startswith("exit code 0"), outcome.content
    assert "left processes running; they were stopped" in outcome.content
    assert still_running(token) == [], "outlived the command"


async def test_cancelling_run_command_ends_descendants_that_left_the_group(
    ctx: ToolContext, repo: Path, token: str
):
    tool = RunCommand(ctx, grace=0.5)
    async with anyio.create_task_group() as group:
        group.start_soon(tool.call, {"command": SPAWN + " sleep 300", "timeout": 60})
        await anyio.to_thread.run_sync(read_pids, repo, NAMES)
        assert len(token_holders(token)) > len(NAMES)
        group.cancel_scope.cancel()
    assert still_running(token) == [], "survived the cancellation"


async def test_kill_process_ends_descendants_that_left_the_group(tools, repo: Path, token: str):
    started = await tools["start_process"].call(
        {"command": SPAWN + " echo ready; sleep 300", "wait_for": "ready"}
    )
    assert "wait_for 'ready': matched" in started.content, started.content
    read_pids(repo, NAMES)
    assert len(token_holders(token)) > len(NAMES)
    with anyio.fail_after(10):
        killed = await tools["kill_process"].call({"id": "p1"})
    assert "stopped by kill_process" in killed.content
    assert still_running(token) == [], "survived kill_process"
    assert our_zombies() == []


async def test_a_process_whose_shell_exits_has_its_escaped_descendants_stopped(tools, repo: Path, token: str):
    await tools["start_process"].call({"command": SPAWN + " echo ready", "wait_for": "ready"})
    read_pids(repo, NAMES)
    with anyio.fail_after(10):
        while "running" in (await tools["list_processes"].call({})).content.split("unread")[0]:
            await anyio.sleep(0.05)
    listed = (await tools["list_processes"].call({})).content
    assert "processes it left in its group were stopped" in listed, listed
    assert still_running(token) == [], "outlived their process"


async def test_registry_close_ends_descendants_that_left_the_group(ctx: ToolContext, repo: Path, token: str):
    registry = ProcessRegistry(grace=0.5)
    tools = {tool.name: tool for tool in terminal_tools(ctx, registry)}
    await tools["start_process"].call({"command": SPAWN + " echo ready; sleep 300", "wait_for": "ready"})
    read_pids(repo, NAMES)
    assert len(token_holders(token)) > len(NAMES)
    with anyio.fail_after(10):
        await registry.close()
    assert still_running(token) == [], "survived the server's shutdown"


async def test_descendants_that_ignore_sigterm_are_killed_after_the_grace_period(
    tools, repo: Path, token: str
):
    stubborn = f"setsid sh -c 'trap \"\" TERM; echo $$ > stubborn.pid; sleep 300' {_QUIET} &"
    outcome = await tools["run_command"].call({"command": f"{stubborn} sleep 300", "timeout": 1})
    assert outcome.is_error
    read_pids(repo, ["stubborn.pid"])
    assert still_running(token) == []


async def test_the_command_gets_the_environment_it_was_given_and_its_private_tmpdir(
    ctx: ToolContext, repo: Path
):
    # Python's start-up would add LC_CTYPE to a C-locale environment; the command must not see it.
    ctx.child_env = {"PATH": "/usr/bin:/bin", "ONLY": "this"}
    outcome = await RunCommand(ctx).call({"command": "env | sort"})
    lines = [line for line in outcome.content.splitlines()[2:] if line]
    assert sorted(n.split("=")[0] for n in lines) == ["ONLY", "PATH", "PWD", "TMPDIR"], outcome.content
    assert "TMPDIR=/tmp" in lines


async def test_a_job_started_from_a_thread_outlives_that_thread(ctx: ToolContext, repo: Path):
    """PR_SET_PDEATHSIG fires when the forking thread ends; a job started from a worker must not die then."""
    jobs: list[Job] = []

    def start() -> None:
        jobs.append(
            start_job(
                ["/bin/sh", "-c", "echo $$ > thread.pid; exec sleep 300"],
                cwd=repo,
                env=dict(ctx.child_env),
                stdin=-3,
                stdout=-3,
                stderr=-3,
                grace=0.5,
            )
        )

    worker = threading.Thread(target=start)
    worker.start()
    worker.join()
    (job,) = jobs
    (pid,) = await anyio.to_thread.run_sync(read_pids, repo, ["thread.pid"])
    await anyio.sleep(0.3)
    try:
        assert is_alive(pid) and not job.finished()
    finally:
        with anyio.fail_after(10):
            await stop_group(job, 0.5)
        job.close()
    assert all_gone([pid]) == []


async def test_the_orphans_a_process_leaves_are_reaped_while_it_runs_on(tools, repo: Path):
    # Twenty short-lived orphans re-parent (to the sandbox's PID 1, or the supervisor) and die there.
    orphans = "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sh -c 'sleep 0.01 &'; done"
    command = f"{orphans}; sleep 0.5; echo ready; sleep 300"
    started = await tools["start_process"].call({"command": command, "wait_for": "ready"})
    supervisor = int(started.content.split("(pid ", 1)[1].split(")", 1)[0])
    assert zombies_below(supervisor) == []
    await tools["kill_process"].call({"id": "p1"})
