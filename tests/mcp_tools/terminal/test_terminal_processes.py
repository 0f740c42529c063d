"""Processes in pseudo-terminals: driving a REPL, limits, killing, and the registry's shutdown."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import anyio
import pytest

from mcp_tools.base import ModelTool
from mcp_tools.terminal import ProcessRegistry, terminal_tools
from tests.mcp_tools.terminal.procs import group_is_gone, live_members, our_zombies

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups and ptys are POSIX")

PYTHON = shlex.quote(sys.executable)


def _pid(content: str) -> int:
    match = re.search(r"\(pid (\d+)\)", content)
    assert match, content
    return int(match.group(1))


async def test_an_interactive_python_prompt_is_driven_with_start_write_and_read(tools):
    with anyio.fail_after(30):
        started = await tools["start_process"].call({"command": f"{PYTHON} -q -i", "wait_for": ">>> $"})
        assert not started.is_error, started.content
        assert "started p1 (pid" in started.content and "matched" in started.content
        wrote = await tools["write_process"].call({"id": "p1", "input": "1+1"})
        assert not wrote.is_error, wrote.content
        answer = await tools["read_process"].call({"id": "p1", "wait_for": r"^2\r?$"})
        assert "matched" in answer.content
        assert re.search(r"^2\r?$", answer.content, re.MULTILINE)
        await tools["write_process"].call({"id": "p1", "input": "exit()"})
        ended = await tools["read_process"].call({"id": "p1", "timeout": 10})
        assert "p1 (pid" in ended.content and "exited (exit code 0)" in ended.content, ended.content
    assert group_is_gone(_pid(started.content))
    assert our_zombies() == []


async def test_each_output_is_returned_once_by_read_process(tools):
    await tools["start_process"].call(
        {"command": "echo first; read line; echo got-$line", "wait_for": "first"}
    )
    await tools["write_process"].call({"id": "p1", "input": "second"})
    reading = await tools["read_process"].call({"id": "p1", "wait_for": "got-second"})
    assert "first" not in reading.content
    assert "got-second" in reading.content


async def test_read_process_times_out_without_an_error_when_the_pattern_never_appears(tools):
    await tools["start_process"].call({"command": "echo ready; sleep 300", "wait_for": "ready"})
    started = anyio.current_time()
    reading = await tools["read_process"].call({"id": "p1", "wait_for": "never", "timeout": 0.3})
    assert 0.25 < anyio.current_time() - started < 3
    assert not reading.is_error
    assert "not seen yet (timed out; not an error)" in reading.content
    assert "running for" in reading.content


async def test_read_process_refuses_a_bad_regex_and_an_unknown_id_clearly(tools):
    await tools["start_process"].call({"command": "sleep 300", "timeout": 0.1})
    bad = await tools["read_process"].call({"id": "p1", "wait_for": "(unclosed"})
    assert bad.is_error and "wait_for is not a valid regular expression" in bad.content
    unknown = await tools["read_process"].call({"id": "p9"})
    assert unknown.is_error and "no process 'p9' (known: p1); list_processes shows them" in unknown.content


async def test_kill_process_stops_the_group_and_forgets_the_process(tools):
    started = await tools["start_process"].call(
        {"command": "sleep 300 & echo child-up; sleep 300", "wait_for": "child-up"}
    )
    pgid = _pid(started.content)
    assert len(live_members(pgid)) >= 2
    killed = await tools["kill_process"].call({"id": "p1"})
    assert not killed.is_error
    assert "stopped by kill_process" in killed.content
    assert group_is_gone(pgid)
    listed = await tools["list_processes"].call({})
    assert listed.content == "no processes; start one with start_process"


async def test_list_processes_shows_running_and_exited_processes(tools, ctx):
    await tools["start_process"].call({"command": "sleep 300", "timeout": 0.1})
    await tools["start_process"].call({"command": "echo done; exit 3", "wait_for": "done"})
    await tools["read_process"].call({"id": "p2", "timeout": 5})
    listed = (await tools["list_processes"].call({})).content.splitlines()
    assert listed[0].startswith("p1  pid ") and "running for" in listed[0] and listed[0].endswith("sleep 300")
    assert listed[1].startswith("p2  pid ") and "exited (exit code 3)" in listed[1]
    assert str(ctx.spill.folder) in listed[1]


async def test_writing_to_an_exited_process_is_refused_with_a_clear_error(tools):
    await tools["start_process"].call({"command": "true", "timeout": 0.2})
    await tools["read_process"].call({"id": "p1", "timeout": 5})
    outcome = await tools["write_process"].call({"id": "p1", "input": "hello"})
    assert outcome.is_error
    assert (
        "p1 has exited (exit code 0)" in outcome.content
        and "start it again with start_process" in outcome.content
    )


async def test_ctrl_c_written_to_the_terminal_interrupts_the_program(tools):
    script = (
        "import time\ntry:\n    print('ready', flush=True); time.sleep(300)\n"
        "except KeyboardInterrupt:\n    print('interrupted')"
    )
    await tools["start_process"].call({"command": f"{PYTHON} -c {shlex.quote(script)}", "wait_for": "ready"})
    await tools["write_process"].call({"id": "p1", "input": "\x03", "press_enter": False})
    reading = await tools["read_process"].call({"id": "p1", "wait_for": "interrupted", "timeout": 10})
    assert "matched" in reading.content, reading.content


async def test_a_process_is_killed_after_its_max_lifetime(tools):
    started = await tools["start_process"].call(
        {"command": "echo up; sleep 300", "wait_for": "up", "max_lifetime": 0.5}
    )
    reading = await tools["read_process"].call({"id": "p1", "wait_for": "never", "timeout": 10})
    assert "killed after max_lifetime 0.5 s" in reading.content, reading.content
    assert group_is_gone(_pid(started.content))


async def test_unread_output_beyond_the_buffer_is_dropped_in_memory_and_said_so_but_kept_on_disk(ctx):
    registry = ProcessRegistry(buffer_limit=1000, grace=0.5)
    try:
        tools = {tool.name: tool for tool in terminal_tools(ctx, registry)}
        await tools["start_process"].call({"command": "sleep 0.3; seq 1 5000; echo END", "timeout": 0.1})
        reading = await tools["read_process"].call({"id": "p1", "wait_for": "END", "timeout": 10})
        process = registry.get("p1")
    finally:
        await registry.close()
    assert "bytes of earlier output were dropped unread" in reading.content
    assert "5000" in reading.content
    assert Path(process.spill_path).read_bytes().replace(b"\r\n", b"\n").startswith(b"1\n2\n3\n")
    assert process.total == Path(process.spill_path).stat().st_size


async def test_starting_more_processes_than_the_cap_is_refused(ctx):
    registry = ProcessRegistry(max_processes=2, grace=0.5)
    try:
        tools = {tool.name: tool for tool in terminal_tools(ctx, registry)}
        for _ in range(2):
            assert not (await tools["start_process"].call({"command": "sleep 300", "timeout": 0.1})).is_error
        third = await tools["start_process"].call({"command": "sleep 300", "timeout": 0.1})
        assert third.is_error
        assert "the limit is 2" in third.content and "kill_process" in third.content
        await tools["kill_process"].call({"id": "p1"})
        assert not (await tools["start_process"].call({"command": "sleep 300", "timeout": 0.1})).is_error
    finally:
        await registry.close()


async def test_registry_close_kills_all_running_processes(ctx):
    registry = ProcessRegistry(grace=0.5)
    tools: dict[str, ModelTool] = {tool.name: tool for tool in terminal_tools(ctx, registry)}
    pgids = []
    for _ in range(3):
        started = await tools["start_process"].call(
            {"command": "trap '' TERM; sleep 300 & echo up; sleep 300", "wait_for": "up"}
        )
        pgids.append(_pid(started.content))
    assert all(live_members(pgid) for pgid in pgids)
    with anyio.fail_after(10):
        await registry.close()
    assert [pgid for pgid in pgids if not group_is_gone(pgid)] == []
    assert our_zombies() == []
    refused = await tools["start_process"].call({"command": "true"})
    assert refused.is_error and "shutting down" in refused.content


async def test_a_chatty_process_neither_grows_memory_nor_stalls_other_tools(tools, registry):
    await tools["start_process"].call({"command": "yes", "timeout": 0.2})
    times: list[float] = []

    async def run_commands() -> None:
        for _ in range(5):
            started = anyio.current_time()
            await tools["run_command"].call({"command": "echo hi"})
            times.append(anyio.current_time() - started)
            await anyio.sleep(0.1)

    async with anyio.create_task_group() as group:
        group.start_soon(run_commands)
        reading = await tools["read_process"].call({"id": "p1", "wait_for": "never", "timeout": 1})
    assert max(times) < 0.5, times
    assert "not seen yet" in reading.content
    assert registry.get("p1").unread <= 1024 * 1024
