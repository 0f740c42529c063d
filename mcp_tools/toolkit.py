"""The tool set both front doors use: built once from the roots and the policy flags.

Its tools are `mcp_tools.catalog` stand-ins: listing them imports no tool module; a tool's module is
imported, and the tool built, on its first call. The process tools are left out where no sandbox can
hold their commands and the user has not allowed running them without one (`effective_mode` is None);
`sandbox_note` is what M2 is told then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.config import Settings
from m2bridge.tools import Tool, Workspace
from mcp_tools.budget import Spill, spill_scope
from mcp_tools.catalog import MEDIA, MEDIA_READ_ONLY, READING, TERMINAL, WRITING, Entry, LazyTool, tool_class
from mcp_tools.disk import DiskWorkspace
from mcp_tools.manifest import spec_of
from mcp_tools.media.config import MediaConfig
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import SandboxMode, SandboxPolicy, SandboxSupport, effective_mode, sandbox_support
from mcp_tools.tool_context import ToolContext, child_environment

if TYPE_CHECKING:
    from mcp_tools.terminal.editor_port import CommandTerminal
    from mcp_tools.terminal.registry import ProcessRegistry

__all__ = [
    "PROCESS_TOOLS",
    "ToolOptions",
    "Toolset",
    "WorkspaceFactory",
    "open_toolset",
    "sandbox_note",
    "sandbox_policy",
]

# The tools that start programs: absent where no sandbox holds them and no fallback is allowed.
PROCESS_TOOLS = (
    "run_command",
    "start_process",
    "read_process",
    "write_process",
    "kill_process",
    "list_processes",
)


def sandbox_policy(settings: Settings) -> SandboxPolicy:
    """The policy the settings (user config, then flags or editor settings laid over it) chose."""
    return SandboxPolicy(
        mode=SandboxMode(settings.sandbox),
        allow_network=settings.allow_network,
        allow_unsandboxed=settings.allow_unsandboxed,
    )


def sandbox_note(policy: SandboxPolicy, support: SandboxSupport | None = None) -> str:
    """What M2 (or an MCP client's model) is told when the process tools are absent for want of a
    sandbox; empty when they are not. Without it a model would go on asking for run_command."""
    support = sandbox_support() if support is None else support
    if effective_mode(policy, support) is not None:
        return ""
    problem = support.problem or "no sandbox mechanism was found"
    fix = f" The user can fix it with `{support.fix}` and a restart of m2bridge." if support.fix else ""
    return (
        f"{', '.join(PROCESS_TOOLS)} are not available: m2bridge runs commands only inside a sandbox, and "
        f"this machine has none ({problem}).{fix} If the task needs a command run, say which and why, "
        "and carry on with the other tools."
    )


@dataclass(frozen=True)
class ToolOptions:
    roots: Sequence[str | Path]
    home: Path
    # Only reading tools: no write, edit, run or process tools, and no m2_task.
    read_only: bool = False
    # No terminal tools (and m2_task's agent gets none either).
    no_terminal: bool = False
    secrets: tuple[str, ...] = ()
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)

    @property
    def permissions(self) -> dict[str, bool]:
        """What sets this toolset's reach apart from another's over the same roots."""
        return {"read_only": self.read_only, "no_terminal": self.no_terminal}


@dataclass
class Toolset:
    context: ToolContext
    tools: list[Tool]
    makers: _Makers | None = None

    @property
    def processes(self) -> ProcessRegistry | None:
        """The terminal tools' process registry, once one of them has been called."""
        return None if self.makers is None else self.makers.processes

    def named(self, name: str) -> Tool:
        for tool in self.tools:
            if tool.spec.name == name:
                return tool
        raise KeyError(name)

    async def aclose(self) -> None:
        """Kill every process the tools started (with its whole group)."""
        if self.makers is not None:
            await self.makers.close()


# Builds the files-as-tools-see-them view from the roots; the disk unless a front door brings its own.
WorkspaceFactory = Callable[[tuple[str, ...]], Workspace]


def open_toolset(
    options: ToolOptions,
    env: Mapping[str, str] | None = None,
    workspace: WorkspaceFactory = DiskWorkspace,
    terminal: CommandTerminal | None = None,
) -> Toolset:
    """`workspace` is how tools see files; `terminal`, where set, the editor's terminal run_command uses."""
    roots = PathPolicy.of(options.roots).roots
    # Spilled output is private to servers of exactly these roots and permissions (see spill_scope).
    spill = Spill.private(options.home, spill_scope(roots, options.permissions))
    spill.prune()
    spill.prune_abandoned()
    policy = PathPolicy.of(roots, read_only_roots=[spill.folder])
    context = ToolContext(
        base_policy=policy,
        spill=spill,
        workspace=workspace(tuple(str(r) for r in policy.roots)),
        child_env=child_environment(os.environ if env is None else env, options.secrets),
        secrets=options.secrets,
        sandbox=options.sandbox,
        terminal=terminal,
    )
    entries = [*READING]
    if not options.read_only:
        entries += WRITING
    # Media: generation spends money and writes files, so --read-only keeps only list_voices and a
    # URL-only query_video_generation. Without MINIMAX_API_KEY each media call says how to set it.
    entries += MEDIA_READ_ONLY if options.read_only else MEDIA
    if not options.read_only and not options.no_terminal and _can_run(options.sandbox):
        entries += TERMINAL
    makers = _Makers(context, MediaConfig.from_env(env, options.home))
    tools: list[Tool] = [makers.lazy(entry) for entry in entries]
    return Toolset(context=context, tools=tools, makers=makers)


def _can_run(policy: SandboxPolicy) -> bool:
    # `off` needs no probe: bwrap is not run for a server that will never use it.
    return policy.mode is SandboxMode.OFF or effective_mode(policy, sandbox_support()) is not None


class _Makers:
    """Builds a toolset's tools on their first calls, with what they share (made when first needed)."""

    def __init__(self, context: ToolContext, media: MediaConfig) -> None:
        self.context = context
        self.media = media
        self.processes: ProcessRegistry | None = None
        self._closed = False

    def lazy(self, entry: Entry) -> LazyTool:
        return LazyTool(spec_of(entry.ref), lambda: self.build(entry))

    def build(self, entry: Entry) -> Tool:
        cls = tool_class(entry.ref)
        if entry.needs == "media":
            tool: Tool = cls(self.context, self.media)
        elif entry.needs == "processes":
            tool = cls(self.context, self._registry())
        else:
            tool = cls(self.context)
        return tool

    def _registry(self) -> ProcessRegistry:
        if self.processes is None:
            from mcp_tools.terminal.registry import ProcessRegistry

            if self._closed:  # the server is on its way out: no new process may outlive it
                raise RuntimeError("the toolset is closed")
            self.processes = ProcessRegistry()
        return self.processes

    async def close(self) -> None:
        """Kill every process the tools started (with its whole group)."""
        self._closed = True
        if self.processes is not None:
            await self.processes.close()
