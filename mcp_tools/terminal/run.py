"""`run_command`: run a shell command to completion, in bounded memory, time and output."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, ClassVar

import anyio
from pydantic import Field, field_validator

from m2bridge.tools import ToolOutcome, report_progress
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.budget import HeadTail
from mcp_tools.failure import ToolFailure
from mcp_tools.sandbox import Confinement, SandboxMode, denial_note, hidden_paths
from mcp_tools.sandbox.enter import enter_command
from mcp_tools.terminal.common import (
    NETWORK_DESCRIPTION,
    SHELL,
    check_posix,
    check_seconds,
    confinement,
    working_directory,
)
from mcp_tools.terminal.editor_port import CommandTerminal
from mcp_tools.terminal.editor_run import run_in_editor
from mcp_tools.terminal.groups import (
    Ending,
    SpillSink,
    describe_exit,
    drain,
    pump_output,
    stop_group,
    widen_pipe,
)
from mcp_tools.terminal.jobs import Job, start_job
from mcp_tools.tool_context import ToolContext

__all__ = ["EDITOR_OUTPUT_LIMIT", "MAX_TIMEOUT", "RunCommand", "RunCommandArguments"]

MAX_TIMEOUT = 600.0
DEFAULT_TIMEOUT = 120.0
# A whole output file is capped: a command writing for ten minutes cannot fill the disk.
SPILL_LIMIT = 1024 * 1024 * 1024
# Room kept in the budget for the status line and the truncation note.
_STATUS_ROOM = 600
# What the editor's terminal is asked to keep of a command's output (it drops the beginning beyond this).
EDITOR_OUTPUT_LIMIT = 1024 * 1024


class RunCommandArguments(Arguments):
    command: str = Field(
        min_length=1, description="Shell command line, run with /bin/sh -c (pipes, &&, redirects work)."
    )
    cwd: str | None = Field(
        default=None,
        description="Folder to run in, inside the workspace roots (relative to the first root). "
        "Default: the first root.",
    )
    timeout: float = Field(
        default=DEFAULT_TIMEOUT,
        description=f"Seconds before the command and everything it started are killed. "
        f"Default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g}.",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_TIMEOUT},
    )
    idle_timeout: float | None = Field(
        default=None,
        description="Kill the command after this many seconds without any output (for commands that may "
        "hang silently). Default: off; `timeout` always applies.",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_TIMEOUT},
    )
    stdin: str | None = Field(
        default=None, description="Text given to the command on standard input. Default: empty input."
    )
    network: bool = Field(default=False, description=NETWORK_DESCRIPTION)

    @field_validator("timeout")
    @classmethod
    def _timeout_in_range(cls, value: float) -> float:
        hint = "for longer jobs use start_process and poll it with read_process"
        return check_seconds(value, "timeout", MAX_TIMEOUT, hint) or value

    @field_validator("idle_timeout")
    @classmethod
    def _idle_in_range(cls, value: float | None) -> float | None:
        return check_seconds(value, "idle_timeout", MAX_TIMEOUT)


class RunCommand(ModelTool[RunCommandArguments]):
    name = "run_command"
    description = (
        "Run a shell command (/bin/sh -c) in a folder inside the workspace and wait for it to finish. "
        "Returns the exit code, how long it ran, and its combined stdout+stderr. A non-zero exit code is a "
        "normal result (the first line says e.g. `exit code 2`): read the output to see why. Long output "
        "keeps its head and tail; the whole output is saved to a file named in the result, which you can "
        "page through with read_file (offset/limit). Use it for builds, tests, linters, git, scripts: "
        "anything that finishes on its own. There is no terminal and standard input is empty unless you "
        "pass `stdin`, so prompts see end-of-input; pass flags such as --yes or --no-pager instead. "
        f"Limits: `timeout` (default {DEFAULT_TIMEOUT:g} s, at most {MAX_TIMEOUT:g}) kills the command "
        "and every process it started; `idle_timeout` (off by default) kills it after that many seconds "
        "without output. Processes it leaves running in the background are stopped when it exits. For "
        "servers, watchers, REPLs, or anything that runs longer or needs input, use start_process. "
        "Unless the user turned it off, it runs in a sandbox: it can write only inside the workspace "
        "roots and /tmp (or nowhere, in read-only mode), has no network unless `network` is true, and "
        "cannot see credentials; a result says when the sandbox refused something."
    )
    arguments: ClassVar[type[Arguments]] = RunCommandArguments
    destructive = True

    def __init__(self, ctx: ToolContext, *, grace: float = 1.0, progress_every: float = 2.0) -> None:
        self.ctx = ctx
        self.grace = grace
        self.progress_every = progress_every

    async def run(self, args: RunCommandArguments) -> ToolOutcome:
        check_posix()
        cwd = working_directory(self.ctx, args.cwd)
        walls = confinement(self.ctx, args.network)
        if self.ctx.terminal is not None and args.stdin is None:  # the editor's terminal has no stdin
            return await self._run_in_editor(self.ctx.terminal, args, cwd, walls)
        sink = SpillSink(self.ctx.spill, "run_command", SPILL_LIMIT)
        room = max(self.ctx.budget - _STATUS_ROOM, 1000)
        collector = HeadTail(head=room * 2 // 3, tail=room // 3)

        def absorb(data: bytes) -> None:
            collector.feed(data)
            sink.write(data)

        try:
            job, read_fd = _spawn(args, cwd, self.ctx.child_env, self.grace, walls)
        except BaseException:
            sink.close()
            with contextlib.suppress(OSError):
                sink.path.unlink()
            raise

        start = anyio.current_time()

        async def progress() -> None:
            elapsed = anyio.current_time() - start
            # Progress is advisory: a listener that went away must not cost the command its result.
            with contextlib.suppress(Exception):
                await report_progress(elapsed, args.timeout, f"{collector.total} bytes of output so far")

        ending = Ending.EXITED
        leftovers = finished = False
        try:
            ending = await pump_output(
                read_fd,
                job,
                absorb,
                deadline=start + args.timeout,
                idle=args.idle_timeout,
                tick=progress,
                tick_every=self.progress_every,
            )
            finished = True
        finally:
            # Runs on success, limits and cancellation alike: nothing of the group survives this call.
            with anyio.CancelScope(shield=True):
                try:
                    leftovers = await stop_group(job, self.grace)
                    with contextlib.suppress(OSError):
                        drain(read_fd, absorb)  # what the group wrote before it died
                finally:
                    os.close(read_fd)
                    job.close()
                    sink.close()
                    if not finished:  # cancelled: nobody will be told where the file is
                        with contextlib.suppress(OSError):
                            sink.path.unlink()
        elapsed = anyio.current_time() - start
        outcome = self._outcome(args, ending, job.returncode, leftovers, elapsed, collector, sink)
        return _with_denial_note(outcome, collector, job.returncode, walls)

    async def _run_in_editor(
        self, terminal: CommandTerminal, args: RunCommandArguments, cwd: Path, walls: Confinement | None
    ) -> ToolOutcome:
        """The command in the editor's terminal, where the user sees it: the same command line in the same
        sandbox and environment, the same limits, the same answer (see `editor_run`)."""
        # Through `enter` even unconfined: it drops the secret variables from whatever environment the
        # editor adds to ours (its own may hold the user's exported key).
        unconfined = Confinement(SandboxMode.OFF, network=True, roots=(cwd,))
        program = enter_command(walls or unconfined, cwd, [SHELL, "-c", args.command])
        start = anyio.current_time()

        async def progress() -> None:
            elapsed = anyio.current_time() - start
            with contextlib.suppress(Exception):  # advisory, as for a local run
                await report_progress(elapsed, args.timeout, "running in the editor's terminal")

        ran = await run_in_editor(
            terminal,
            program,
            cwd=cwd,
            env=self.ctx.child_env,
            output_byte_limit=EDITOR_OUTPUT_LIMIT,
            timeout=args.timeout,
            idle_timeout=args.idle_timeout,
            tick=progress,
            tick_every=self.progress_every,
        )
        elapsed = anyio.current_time() - start
        room = max(self.ctx.budget - _STATUS_ROOM, 1000)
        collector = HeadTail(head=room * 2 // 3, tail=room // 3)
        sink = SpillSink(self.ctx.spill, "run_command", SPILL_LIMIT)
        data = ran.output.text.encode("utf-8", errors="replace")
        collector.feed(data)
        sink.write(data)
        sink.close()
        outcome = self._outcome(args, ran.ending, ran.returncode, False, elapsed, collector, sink)
        if ran.output.truncated:
            kept = f"The editor kept only the last {len(data)} bytes of the output; the beginning is lost."
            head, _, rest = outcome.content.partition("\n")
            outcome = ToolOutcome(f"{head}\n{kept}\n{rest}", is_error=outcome.is_error)
        return _with_denial_note(outcome, collector, ran.returncode, walls)

    def _outcome(
        self,
        args: RunCommandArguments,
        ending: Ending,
        returncode: int | None,
        leftovers: bool,
        elapsed: float,
        collector: HeadTail,
        sink: SpillSink,
    ) -> ToolOutcome:
        is_error = False
        notes: list[str] = []
        if ending is Ending.TIMEOUT:
            status = f"killed after the {args.timeout:g} s timeout (with every process it started)"
            notes.append(
                f"Raise `timeout` (at most {MAX_TIMEOUT:g} s), or run it with start_process and "
                "follow it with read_process."
            )
            is_error = True
        elif ending is Ending.IDLE:
            status = f"killed after {args.idle_timeout:g} s without output (idle_timeout)"
            notes.append("Raise or omit `idle_timeout` if the command is just slow to print.")
            is_error = True
        else:
            status = describe_exit(returncode) if returncode is not None else "exit status unknown"
            if ending is Ending.ORPHANS or leftovers:
                notes.append(
                    "It left processes running; they were stopped. "
                    "Use start_process for servers and background jobs."
                )
        head = f"{status}; ran {elapsed:.1f} s; {collector.total} bytes of output"
        if collector.truncated:
            where = f"{self.ctx.show(sink.path)} (read it with read_file, using offset/limit)"
            head += f"; whole output in {self.ctx.show(sink.path)}"
            body = collector.text(where)
            if sink.problem is not None:
                notes.append(f"Note: {sink.problem}.")
        else:
            with contextlib.suppress(OSError):
                sink.path.unlink()  # everything is in the result; no file to page through
            body = collector.text() or "(no output)"
        return ToolOutcome("\n".join([head, *notes, "", body]), is_error=is_error)


def _with_denial_note(
    outcome: ToolOutcome, collector: HeadTail, returncode: int | None, walls: Confinement | None
) -> ToolOutcome:
    """`outcome`, with a note when the failure looks like the sandbox's doing."""
    if walls is None:
        return outcome
    hidden = hidden_paths((*walls.roots, *walls.readable))
    note = denial_note(collector.text(), returncode, walls, hidden)
    if note is None:
        return outcome
    return ToolOutcome(f"{outcome.content}\n{note}", is_error=outcome.is_error)


def _spawn(
    args: RunCommandArguments,
    cwd: os.PathLike[str],
    env: Mapping[str, str],
    grace: float,
    walls: Confinement | None,
) -> tuple[Job, int]:
    """Start the command in its own session, output (stdout and stderr merged) into a fresh pipe."""
    read_fd, write_fd = os.pipe()
    stdin: IO[bytes] | int = subprocess.DEVNULL
    try:
        if args.stdin is not None:
            # A file, not a pipe: nothing to feed concurrently, and a child that never reads cannot block us.
            stdin = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, once spawned
            stdin.write(args.stdin.encode("utf-8"))
            stdin.seek(0)
        job = start_job(
            [SHELL, "-c", args.command],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=write_fd,
            stderr=write_fd,
            grace=grace,
            confinement=walls,
        )
    except OSError as err:
        os.close(read_fd)
        raise ToolFailure(f"could not start {SHELL} in {cwd}: {err.strerror or err}") from err
    finally:
        os.close(write_fd)
        if not isinstance(stdin, int):
            stdin.close()
    os.set_blocking(read_fd, False)
    widen_pipe(read_fd)
    return job, read_fd
