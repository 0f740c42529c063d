"""Running one command to completion in the editor's terminal, within run_command's limits.

The editor starts the command line it is given (already wrapped in the sandbox), keeps its output and
reports its exit; this module waits for that exit under the call's `timeout`, watches the output for
`idle_timeout` by polling (bounded: every poll waits a tick, and the deadline ends the loop), kills the
command when a limit is reached, and releases the terminal whatever happened, cancellation included.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from mcp_tools.failure import ToolFailure
from mcp_tools.terminal.editor_port import CommandTerminal, EditorTerminal, TerminalExit, TerminalOutput
from mcp_tools.terminal.groups import Ending

__all__ = ["EditorRun", "run_in_editor"]

# How often the loop wakes: to check idle output, report progress, and see the deadline.
_TICK = 0.2
# How long a killed command gets to be reported gone before its exit is called unknown.
_KILL_WAIT = 5.0


@dataclass(frozen=True)
class EditorRun:
    ending: Ending
    returncode: int | None  # negative: killed by that signal, as Popen reports it
    output: TerminalOutput


async def run_in_editor(
    terminal: CommandTerminal,
    program: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output_byte_limit: int,
    timeout: float,
    idle_timeout: float | None,
    tick: Callable[[], Awaitable[None]],
    tick_every: float,
) -> EditorRun:
    """Run `program` in the editor until it exits or a limit kills it. Raises ToolFailure (from the
    terminal) when the editor does not start it."""
    running = await terminal.create(program, cwd=str(cwd), env=env, output_byte_limit=output_byte_limit)
    try:
        ending, exit_status = await _watch(running, timeout, idle_timeout, tick, tick_every)
        if exit_status is None:
            with contextlib.suppress(Exception):  # an editor that cannot kill: reported as unknown below
                await running.kill()
            with anyio.move_on_after(_KILL_WAIT), contextlib.suppress(Exception):
                exit_status = await running.wait_for_exit()
        output = await running.output()
    finally:
        with anyio.CancelScope(shield=True), anyio.move_on_after(_KILL_WAIT), contextlib.suppress(Exception):
            await running.release()
    return EditorRun(ending, _returncode(exit_status), output)


async def _watch(
    running: EditorTerminal,
    timeout: float,
    idle_timeout: float | None,
    tick: Callable[[], Awaitable[None]],
    tick_every: float,
) -> tuple[Ending, TerminalExit | None]:
    """How the wait ended, and the exit when the command ended on its own. An editor failing a request
    ends the wait with ToolFailure (the command is then killed and released by the caller)."""
    exited: list[TerminalExit] = []
    failed: list[Exception] = []
    start = anyio.current_time()
    deadline = start + timeout
    ending = Ending.EXITED

    async def wait_for_exit(scope: anyio.CancelScope) -> None:
        try:
            exited.append(await running.wait_for_exit())
        except Exception as err:
            failed.append(err)
        scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(wait_for_exit, group.cancel_scope)
        seen: tuple[int, bool] | None = None
        changed = ticked = start
        try:
            while True:  # bounded: each round sleeps, and the deadline ends it
                now = anyio.current_time()
                if now >= deadline:
                    ending = Ending.TIMEOUT
                    break
                if idle_timeout is not None:
                    size = _size(await running.output())
                    if size != seen:
                        seen, changed = size, now
                    elif now - changed >= idle_timeout:
                        ending = Ending.IDLE
                        break
                if now - ticked >= tick_every:
                    ticked = now
                    await tick()
                await anyio.sleep(min(_TICK, deadline - now))
        except Exception as err:
            failed.append(err)
        group.cancel_scope.cancel()
    if failed:
        raise ToolFailure(f"the editor's terminal failed: {failed[0]}") from failed[0]
    return (ending, exited[0]) if exited else (ending, None)


def _size(output: TerminalOutput) -> tuple[int, bool]:
    # Once the editor drops the beginning, the length stops growing: the end changing is what counts then.
    return (len(output.text), output.truncated) if not output.truncated else (hash(output.text[-4096:]), True)


def _returncode(status: TerminalExit | None) -> int | None:
    if status is None:
        return None
    if status.code is not None:
        return status.code
    if status.signal:
        with contextlib.suppress(KeyError):
            return -signal.Signals[status.signal.upper()].value
    return None
