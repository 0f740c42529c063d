"""A terminal the editor runs, for front doors whose editor offers one (ACP's `terminal/*`).

`run_command` runs its command there instead of under its own supervisor when the tool context has one
(see `mcp_tools.terminal.editor_run`): the user watches it in the editor. The tools only ever hand the
editor a complete command line, already wrapped in the sandbox (`mcp_tools.sandbox.enter`); the editor
starts it, keeps its output, and kills it when asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["CommandTerminal", "EditorTerminal", "TerminalExit", "TerminalOutput"]


@dataclass(frozen=True)
class TerminalExit:
    """How the command ended: an exit code, or the name of the signal that killed it (e.g. "SIGKILL")."""

    code: int | None
    signal: str | None = None


@dataclass(frozen=True)
class TerminalOutput:
    """What the editor kept of the output so far; `truncated`: it dropped the beginning (its byte limit)."""

    text: str
    truncated: bool
    exit: TerminalExit | None = None


class EditorTerminal(Protocol):
    """One command running in the editor."""

    async def output(self) -> TerminalOutput: ...

    async def wait_for_exit(self) -> TerminalExit: ...

    async def kill(self) -> None: ...

    async def release(self) -> None:
        """The editor may forget the terminal (it may keep showing it); always called once, at the end."""
        ...


class CommandTerminal(Protocol):
    """Starts commands in the editor. Raises ToolFailure when the editor refuses."""

    async def create(
        self, program: Sequence[str], *, cwd: str, env: Mapping[str, str], output_byte_limit: int
    ) -> EditorTerminal: ...
