"""The tool set both front doors use: built once from the roots and the policy flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from m2bridge.tools import Tool, Workspace
from mcp_tools.budget import Spill, spill_scope
from mcp_tools.disk import DiskWorkspace
from mcp_tools.media import MediaConfig, media_tools
from mcp_tools.paths import PathPolicy
from mcp_tools.repo.files import EditFile, ReadFile, WriteFile
from mcp_tools.repo.git import git_tools
from mcp_tools.repo.listing import FindFiles, ListDir
from mcp_tools.repo.search import SearchTool
from mcp_tools.terminal import ProcessRegistry, terminal_tools
from mcp_tools.tool_context import ToolContext, child_environment

__all__ = ["ToolOptions", "Toolset", "WorkspaceFactory", "open_toolset"]


@dataclass(frozen=True)
class ToolOptions:
    roots: Sequence[str | Path]
    home: Path
    # Only reading tools: no write, edit, run or process tools, and no m2_task.
    read_only: bool = False
    # No terminal tools (and m2_task's agent gets none either).
    no_terminal: bool = False
    secrets: tuple[str, ...] = ()

    @property
    def permissions(self) -> dict[str, bool]:
        """What sets this toolset's reach apart from another's over the same roots."""
        return {"read_only": self.read_only, "no_terminal": self.no_terminal}


@dataclass
class Toolset:
    context: ToolContext
    tools: list[Tool]
    processes: ProcessRegistry | None = None

    def named(self, name: str) -> Tool:
        for tool in self.tools:
            if tool.spec.name == name:
                return tool
        raise KeyError(name)

    async def aclose(self) -> None:
        """Kill every process the tools started (with its whole group)."""
        if self.processes is not None:
            await self.processes.close()


# Builds the files-as-tools-see-them view from the roots; the disk unless a front door brings its own.
WorkspaceFactory = Callable[[tuple[str, ...]], Workspace]


def open_toolset(
    options: ToolOptions,
    env: Mapping[str, str] | None = None,
    workspace: WorkspaceFactory = DiskWorkspace,
) -> Toolset:
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
    )
    tools: list[Tool] = [ReadFile(context), ListDir(context), FindFiles(context), SearchTool(context)]
    tools += git_tools(context)
    if not options.read_only:
        tools += [WriteFile(context), EditFile(context)]
    # Media: generation spends money and writes files, so --read-only keeps only list_voices and a
    # URL-only query_video_generation. Without MINIMAX_API_KEY each media call says how to set it.
    media = MediaConfig.from_env(env, options.home)
    tools += media_tools(context, media, read_only=options.read_only)
    processes: ProcessRegistry | None = None
    if not options.read_only and not options.no_terminal:
        processes = ProcessRegistry()
        tools += terminal_tools(context, processes)
    return Toolset(context=context, tools=tools, processes=processes)
