"""Terminal tools: `run_command` for commands that finish, and processes in pseudo-terminals for the rest.

POSIX only (process groups, pseudo-terminals). Every child runs in its own process group with the
secrets removed from its environment, in a folder the path policy allows, under a time limit, and is
stopped with its whole group; output returned to a model is bounded, the whole spilled to a file. On Linux
a supervisor (`jobs.py`, `supervisor.py`) also ends what left the group (setsid, daemons), and ends it all
when the server dies, even by SIGKILL.
"""

from __future__ import annotations

from m2bridge.tools import Tool
from mcp_tools.terminal.process_tools import (
    KillProcess,
    ListProcesses,
    ReadProcess,
    StartProcess,
    WriteProcess,
)
from mcp_tools.terminal.registry import ProcessRegistry
from mcp_tools.terminal.run import RunCommand
from mcp_tools.tool_context import ToolContext

__all__ = [
    "KillProcess",
    "ListProcesses",
    "ProcessRegistry",
    "ReadProcess",
    "RunCommand",
    "StartProcess",
    "WriteProcess",
    "terminal_tools",
]


def terminal_tools(ctx: ToolContext, registry: ProcessRegistry) -> list[Tool]:
    """The six terminal tools, sharing `registry` (whose `close()` the server calls at exit)."""
    return [
        RunCommand(ctx),
        StartProcess(ctx, registry),
        ReadProcess(ctx, registry),
        WriteProcess(ctx, registry),
        KillProcess(ctx, registry),
        ListProcesses(ctx, registry),
    ]
