"""The tools over `ProcessRegistry`: start, read, write, kill and list processes in pseudo-terminals."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.budget import clip
from mcp_tools.failure import ToolFailure
from mcp_tools.sandbox import denial_note, hidden_paths
from mcp_tools.terminal.common import (
    NETWORK_DESCRIPTION,
    check_posix,
    check_seconds,
    confinement,
    working_directory,
)
from mcp_tools.terminal.patterns import LinearPattern, compile_pattern
from mcp_tools.terminal.registry import (
    DEFAULT_BUFFER_LIMIT,
    DEFAULT_LIFETIME,
    DEFAULT_MAX_PROCESSES,
    MAX_LIFETIME,
    ManagedProcess,
    ProcessRegistry,
    Reading,
)
from mcp_tools.tool_context import ToolContext

__all__ = [
    "KillProcess",
    "ListProcesses",
    "ReadProcess",
    "StartProcess",
    "WriteProcess",
]

MAX_WAIT = 600.0
_STATUS_ROOM = 800
_MB = DEFAULT_BUFFER_LIMIT // (1024 * 1024)


def _id_field() -> str:
    return Field(description="The process id start_process returned, e.g. `p1`.", pattern=r"^p[0-9]{1,9}$")


_WAIT_FOR = (
    "A regular expression (multi-line mode) to wait for in the new output, e.g. `Listening on` or "
    "`>>> $`. Python's syntax without backreferences or lookaround (it runs on RE2, in linear time); "
    "\\d, \\w, \\s and \\b are ASCII. Terminal lines end with \\r\\n."
)


def _pattern(raw: str | None) -> LinearPattern | None:
    # RE2, not `re`: the registry searches the output on the event loop, and a backtracking pattern
    # like `(a+)+$` would stall every client for seconds.
    return None if raw is None else compile_pattern(raw, "wait_for")


def _short(command: str, limit: int = 200) -> str:
    return command if len(command) <= limit else command[: limit - 3] + "..."


class _ProcessTool:
    """Shared by the five process tools: the context and the registry, and how a reading is shown."""

    def __init__(self, ctx: ToolContext, registry: ProcessRegistry) -> None:
        self.ctx = ctx
        self.registry = registry

    def _report(self, process: ManagedProcess, reading: Reading | None, pattern: str | None) -> str:
        lines = [f"{process.id} (pid {process.pid}): {process.status()}"]
        if reading is not None and pattern is not None:
            if reading.matched:
                lines.append(f"wait_for {pattern!r}: matched")
            elif process.running:
                lines.append(
                    f"wait_for {pattern!r}: not seen yet (timed out; not an error). The process is still "
                    "running: call read_process again to keep waiting."
                )
            else:
                lines.append(f"wait_for {pattern!r}: not seen before the process ended")
        elif reading is not None and reading.timed_out and not reading.text:
            lines.append("no new output within the timeout")
        whole = self.ctx.show(process.spill_path)
        if reading is not None and reading.dropped:
            lines.append(
                f"[{reading.dropped} bytes of earlier output were dropped unread (only the last {_MB} MB is "
                f"kept); the whole output is in {whole}]"
            )
        if reading is None:
            return "\n".join(lines)
        budget = max(self.ctx.budget - _STATUS_ROOM, 1000)
        body = reading.text
        if len(body) > budget:
            body = clip(body, budget, None, process.id)
            lines.append(f"[long output clipped; the whole output is in {whole} (read_file, offset/limit)]")
        lines.append("")
        lines.append(body or "(no new output)")
        walls = process.confinement
        if walls is not None and not process.running:
            hidden = hidden_paths((*walls.roots, *walls.readable))
            note = denial_note(reading.text, process.returncode, walls, hidden)
            if note is not None:
                lines.append(note)
        return "\n".join(lines)


# start_process ------------------------------------------------------------------------------------------
class StartProcessArguments(Arguments):
    command: str = Field(min_length=1, description="Shell command line, run with /bin/sh -c in a terminal.")
    cwd: str | None = Field(
        default=None,
        description="Folder to run in, inside the workspace roots (relative to the first root). "
        "Default: the first root.",
    )
    wait_for: str | None = Field(default=None, description=_WAIT_FOR + " Default: wait for first output.")
    timeout: float = Field(
        default=10.0,
        description=f"Seconds to wait for the first output (or wait_for). Default 10, at most {MAX_WAIT:g}.",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_WAIT},
    )
    max_lifetime: float = Field(
        default=DEFAULT_LIFETIME,
        description=f"Seconds after which the process is killed. Default {DEFAULT_LIFETIME:g} "
        f"(1 hour), at most {MAX_LIFETIME:g}.",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_LIFETIME},
    )
    network: bool = Field(default=False, description=NETWORK_DESCRIPTION)

    @field_validator("timeout")
    @classmethod
    def _timeout_in_range(cls, value: float) -> float:
        return check_seconds(value, "timeout", MAX_WAIT) or value

    @field_validator("max_lifetime")
    @classmethod
    def _lifetime_in_range(cls, value: float) -> float:
        return check_seconds(value, "max_lifetime", MAX_LIFETIME) or value


class StartProcess(_ProcessTool, ModelTool[StartProcessArguments]):
    name = "start_process"
    description = (
        "Start a long-running or interactive command (/bin/sh -c) in a pseudo-terminal and return its id "
        "(p1, p2, ...), its pid and its first output, leaving it running. Use it for dev servers, watchers, "
        "REPLs, debuggers, and programs that ask questions; use run_command for commands that simply "
        "finish. Afterwards: read_process for new output (optionally waiting for a pattern), write_process "
        "to type input or Ctrl-C, kill_process to stop it, list_processes to see them all. `wait_for` "
        "waits until the first output matches a regex (e.g. `Listening on` or `>>> $`), up to `timeout` "
        "seconds (default 10); without it, the call returns once the first output has gone quiet. Limits: "
        f"at most {DEFAULT_MAX_PROCESSES} running at once; each is killed with everything it started after "
        f"`max_lifetime` seconds (default {DEFAULT_LIFETIME:g}); output nobody has read is kept up to "
        f"{_MB} MB per process (the whole output is also saved to a file shown in the result). It runs "
        "in the same sandbox as run_command (writes inside the roots and /tmp only, no network unless "
        "`network` is true)."
    )
    arguments: ClassVar[type[Arguments]] = StartProcessArguments
    destructive = True

    async def run(self, args: StartProcessArguments) -> ToolOutcome:
        check_posix()
        pattern = _pattern(args.wait_for)
        cwd = working_directory(self.ctx, args.cwd)
        walls = confinement(self.ctx, args.network)
        process = await self.registry.start(
            args.command, cwd, self.ctx.child_env, self.ctx.spill, args.max_lifetime, confinement=walls
        )
        reading = await process.read(pattern, args.timeout)
        head = (
            f"started {process.id} (pid {process.pid}) in {self.ctx.show(cwd) or '.'}; "
            f"whole output goes to {self.ctx.show(process.spill_path)}"
        )
        return ToolOutcome(head + "\n" + self._report(process, reading, args.wait_for))


# read_process ---------------------------------------------------------------------------------------------
class ReadProcessArguments(Arguments):
    id: str = _id_field()
    wait_for: str | None = Field(
        default=None, description=_WAIT_FOR + " Default: return what is there, or wait for some output."
    )
    timeout: float = Field(
        default=5.0,
        description=f"Seconds to wait at most. Default 5, at most {MAX_WAIT:g}.",
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_WAIT},
    )

    @field_validator("timeout")
    @classmethod
    def _timeout_in_range(cls, value: float) -> float:
        return check_seconds(value, "timeout", MAX_WAIT) or value


class ReadProcess(_ProcessTool, ModelTool[ReadProcessArguments]):
    name = "read_process"
    description = (
        "Get the output a process started with start_process printed since the last read (each output is "
        "returned once), and whether it is still running or how it exited. With `wait_for` (a regex), wait "
        "until it appears in the new output, the process exits, or `timeout` seconds pass (default 5, at "
        "most 600); a timeout is not an error: read again to keep waiting. Without `wait_for`, return "
        "once output has gone quiet (or at the timeout if there is none). Terminal output keeps its \\r\\n "
        "line ends and colour codes. Long output keeps its head and tail; the whole output is in the file "
        "list_processes shows."
    )
    arguments: ClassVar[type[Arguments]] = ReadProcessArguments
    read_only = True

    async def run(self, args: ReadProcessArguments) -> ToolOutcome:
        pattern = _pattern(args.wait_for)
        process = self.registry.get(args.id)
        reading = await process.read(pattern, args.timeout)
        return ToolOutcome(self._report(process, reading, args.wait_for))


# write_process --------------------------------------------------------------------------------------------
class WriteProcessArguments(Arguments):
    id: str = _id_field()
    input: str = Field(
        max_length=65536,
        description="Text to type. Control keys: \\u0003 Ctrl-C, \\u0004 Ctrl-D (end of input), "
        "\\u001b Escape.",
    )
    press_enter: bool = Field(default=True, description="Press Enter after the text. Default true.")


class WriteProcess(_ProcessTool, ModelTool[WriteProcessArguments]):
    name = "write_process"
    description = (
        "Type `input` into the terminal of a process started with start_process, as a user would; "
        "`press_enter` (default true) presses Enter after it. For control keys pass press_enter=false: "
        "\\u0003 is Ctrl-C (interrupt), \\u0004 is Ctrl-D (end of input). It returns at once; call "
        "read_process (with wait_for, e.g. the prompt) to see the answer. A terminal line holds about 4000 "
        "characters: for bulk data, write a file and have the program read it."
    )
    arguments: ClassVar[type[Arguments]] = WriteProcessArguments
    destructive = True

    async def run(self, args: WriteProcessArguments) -> ToolOutcome:
        process = self.registry.get(args.id)
        text = args.input + ("\r" if args.press_enter else "")  # Enter on a terminal is a carriage return
        if not text:
            raise ToolFailure("nothing to write: give `input`, or press_enter=true")
        written = await process.write(text.encode("utf-8"))
        return ToolOutcome(
            f"wrote {written} bytes to {process.id} ({process.status()}); read_process shows the answer"
        )


# kill_process ---------------------------------------------------------------------------------------------
class KillProcessArguments(Arguments):
    id: str = _id_field()


class KillProcess(_ProcessTool, ModelTool[KillProcessArguments]):
    name = "kill_process"
    description = (
        "Stop a process started with start_process, with everything it started, even what left its "
        "process group (SIGTERM, SIGKILL after a grace period), and forget it. Returns how it ended and "
        "any output not yet read; its whole output file stays. Also use it on an exited process to drop "
        "it from list_processes."
    )
    arguments: ClassVar[type[Arguments]] = KillProcessArguments
    destructive = True

    async def run(self, args: KillProcessArguments) -> ToolOutcome:
        process = await self.registry.kill(args.id)
        reading = await process.read(None, 0.01)
        return ToolOutcome(self._report(process, reading, None))


# list_processes -------------------------------------------------------------------------------------------
class ListProcessesArguments(Arguments):
    pass


class ListProcesses(_ProcessTool, ModelTool[ListProcessesArguments]):
    name = "list_processes"
    description = (
        "List the processes started with start_process: id, pid, running time or how it exited, unread "
        "output, the file with its whole output, and the command. Exited processes stay listed (so their "
        "last output can be read) until kill_process forgets them."
    )
    arguments: ClassVar[type[Arguments]] = ListProcessesArguments
    read_only = True
    idempotent = True

    async def run(self, args: ListProcessesArguments) -> ToolOutcome:
        processes = self.registry.processes
        if not processes:
            return ToolOutcome("no processes; start one with start_process")
        lines: list[str] = []
        for p in processes:
            lines.append(
                f"{p.id}  pid {p.pid}  {p.status()}  unread {p.unread} bytes  "
                f"output file {self.ctx.show(p.spill_path)}  command: {_short(p.command)}"
            )
        return ToolOutcome("\n".join(lines))
