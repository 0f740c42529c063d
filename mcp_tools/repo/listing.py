"""Listing tools: list_dir (a tree to a depth) and find_files (glob), both .gitignore-aware."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from pydantic import Field

from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.beneath import child_folder, folder_descriptor, kind_of, spawn_in
from mcp_tools.failure import ToolFailure
from mcp_tools.paths import PathPolicy
from mcp_tools.repo._git import HARDENING, git_environment
from mcp_tools.repo._process import read_bounded, reap
from mcp_tools.repo.globs import glob_matcher
from mcp_tools.ripgrep import find_rg
from mcp_tools.tool_context import ToolContext

__all__ = ["FindFiles", "ListDir"]

_MAX_ENTRIES = 2000
# rg's file list is kept up to this size (about 200,000 paths); the rest is drained, not stored.
_MAX_LISTING = 16 * 1024 * 1024
_TIMEOUT = 60.0


class ListArgs(Arguments):
    path: str = Field(
        default=".", description="Folder to list, relative to the first root or absolute inside one."
    )
    depth: int = Field(
        default=1, ge=1, le=10, description="How many levels to descend (1 = this folder only)."
    )
    include_ignored: bool = Field(default=False, description="Also list files that .gitignore excludes.")


class ListDir(ModelTool[ListArgs]):
    name = "list_dir"
    description = (
        "List a folder as a tree down to `depth` levels: folders end with `/`, symlinks show their "
        "target. Files ignored by .gitignore and the .git folder are left out unless include_ignored. "
        f"At most {_MAX_ENTRIES} entries; list a subfolder to see more."
    )
    arguments = ListArgs
    read_only = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: ListArgs) -> ToolOutcome:
        folder, fd, entries, cut = await anyio.to_thread.run_sync(
            _open_and_walk, self.ctx.policy, args.path, args.depth
        )
        try:
            if not args.include_ignored:
                ignored = await _git_ignored(self.ctx, fd, str(folder), [e.rel for e in entries])
                entries = [e for e in entries if not _under_any(e.rel, ignored)]
        finally:
            os.close(fd)
        lines = [f"{self.ctx.show(folder)}/"]
        for entry in entries:
            indent = "  " * entry.rel.count("/")
            lines.append(f"{indent}{entry.rel.rsplit('/', 1)[-1]}{entry.suffix}")
        if cut:
            lines.append(f"[cut at {_MAX_ENTRIES} entries; list a subfolder or lower depth]")
        if len(lines) == 1:
            lines.append("(empty)")
        return ToolOutcome("\n".join(lines))


@dataclass(frozen=True)
class _Entry:
    rel: str  # below the listed folder, `/`-separated
    suffix: str  # `/` for a folder, ` -> target` for a symlink, a note for a FIFO, socket or device


def _folders_first(entry: os.DirEntry[str]) -> tuple[bool, str]:
    return (not entry.is_dir(follow_symlinks=False), entry.name)


def _under_any(rel: str, ignored: set[str]) -> bool:
    if rel in ignored:
        return True
    cut = rel.rfind("/")
    while cut > 0:
        if rel[:cut] in ignored:
            return True
        cut = rel.rfind("/", 0, cut)
    return False


def _suffix(folder: int, entry: os.DirEntry[str]) -> str:
    if entry.is_dir(follow_symlinks=False):
        return "/"
    if entry.is_symlink():
        try:
            return f" -> {os.readlink(entry.name, dir_fd=folder)}"
        except OSError:
            return " -> ?"
    if entry.is_file(follow_symlinks=False):
        return ""
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return ""
    # Named so the model does not try to read it: only regular files are read.
    return f"  [{kind_of(mode)}]"


def _open_and_walk(policy: PathPolicy, raw: str, depth: int) -> tuple[Path, int, list[_Entry], bool]:
    """The checked folder, its descriptor (the caller closes it) and its tree to `depth`, walked by
    descriptor: each sub-folder opened relative to its parent with O_NOFOLLOW, so one swapped for a symlink
    mid-walk is shown but not entered, and nothing outside is listed. Symlinks are never followed.
    """
    folder, fd = _open_folder(policy, raw)
    try:
        entries, cut = _walk(fd, depth)
    except BaseException:
        os.close(fd)
        raise
    return folder, fd, entries, cut


def _open_folder(policy: PathPolicy, raw: str) -> tuple[Path, int]:
    folder = policy.resolve(raw)
    return folder, folder_descriptor(str(folder), policy.anchors)


def _walk(top: int, depth: int) -> tuple[list[_Entry], bool]:
    found: list[_Entry] = []

    def visit(folder: int, prefix: str, level: int) -> bool:
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=_folders_first)
        except OSError:
            return True
        for entry in children:
            if entry.name == ".git":
                continue
            if len(found) >= _MAX_ENTRIES:
                return False
            suffix = _suffix(folder, entry)
            rel = prefix + entry.name
            found.append(_Entry(rel, suffix))
            if suffix != "/" or level >= depth:
                continue
            child = child_folder(folder, entry.name)
            if child is None:  # no longer a plain folder: swapped or removed since the listing
                continue
            try:
                if not visit(child, rel + "/", level + 1):
                    return False
            finally:
                os.close(child)
        return True

    complete = visit(top, "", 1)
    return found, not complete


async def _git_ignored(ctx: ToolContext, folder: int, shown: str, paths: list[str]) -> set[str]:
    """Which of `paths` (relative to `folder`) git ignores; none outside a repo. One `git check-ignore`
    call in the checked folder, with the same hardening and environment as the git tools (paths go on
    stdin: argv could not hold 2,000 long ones)."""
    if not paths:
        return set()
    command = ["git", "--no-pager", *HARDENING, "check-ignore", "-z", "--stdin"]
    env = git_environment(ctx)
    # check-ignore refuses literal pathspecs (exit 128); these paths come from our own walk, not a caller.
    env.pop("GIT_LITERAL_PATHSPECS", None)
    try:
        proc = await spawn_in(
            folder, shown, command, env, stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
    except OSError:
        return set()
    payload = b"".join(os.fsencode(p) + b"\0" for p in paths)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(payload), _TIMEOUT)
    except TimeoutError:
        return set()
    finally:
        await reap(proc)
    # Exit 1: nothing ignored; 128: not a repository. Either way there is nothing to hide.
    if proc.returncode != 0:
        return set()
    return {os.fsdecode(item) for item in out.split(b"\0") if item}


def _matching(listing: bytes, wanted: Callable[[str], bool]) -> list[str]:
    listed = (line.removeprefix("./") for line in listing.decode(errors="replace").splitlines() if line)
    return sorted(path for path in listed if wanted(path))


class FindArgs(Arguments):
    pattern: str = Field(description="Glob matched against paths, e.g. `*.py`, `src/**/*.ts`, `**/test_*`.")
    path: str = Field(default=".", description="Folder to search under.")
    max_results: int = Field(default=500, ge=1, le=10000, description="Most paths to return.")
    include_ignored: bool = Field(default=False, description="Also match files that .gitignore excludes.")


class FindFiles(ModelTool[FindArgs]):
    name = "find_files"
    description = (
        "Find files whose path matches a glob (`**` crosses folders), sorted by path. Files ignored by "
        ".gitignore are skipped unless include_ignored. Use search to look inside files."
    )
    arguments = FindArgs
    read_only = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: FindArgs) -> ToolOutcome:
        command = [find_rg(), "--files", "--no-config", "--hidden", "--no-messages", "--glob=!.git"]
        if args.include_ignored:
            command.append("--no-ignore")
        # rg's own --glob would override .gitignore, so rg lists what git keeps and the glob filters here.
        command += ["--", "."]
        wanted = glob_matcher(args.pattern)
        folder, fd = await anyio.to_thread.run_sync(_open_folder, self.ctx.policy, args.path)
        try:
            # rg starts in the checked folder itself, whatever its path names by now.
            # Confined to the roots: rg's own walk cannot be led outside by a swapped folder.
            proc = await spawn_in(
                fd, str(folder), command, self.ctx.child_env, reads_within=self.ctx.policy.anchors
            )
        finally:
            os.close(fd)
        try:
            with anyio.fail_after(_TIMEOUT):
                out, err = await asyncio.gather(
                    read_bounded(proc.stdout, _MAX_LISTING), read_bounded(proc.stderr, 64 * 1024)
                )
                await proc.wait()
        except TimeoutError:
            raise ToolFailure(f"find_files took over {_TIMEOUT:.0f} s; narrow the folder") from None
        finally:
            await reap(proc)
        if proc.returncode not in (0, 1):
            raise ToolFailure(err.decode(errors="replace").strip() or f"rg exited {proc.returncode}")
        # rg lists no symlinks without -L, so every path here is a real file under the folder.
        # Linear-time matching, but 200,000 paths still take a while: off the event loop.
        found = await anyio.to_thread.run_sync(_matching, out, wanted)
        if not found:
            return ToolOutcome(f"no files match {args.pattern!r} under {self.ctx.show(folder)}")
        shown = found[: args.max_results]
        text = "\n".join(shown)
        if len(found) > len(shown):
            text += f"\n[{len(found) - len(shown)} more; narrow the pattern or raise max_results]"
        return ToolOutcome(text)
