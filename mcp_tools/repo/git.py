"""Git tools: git_status, git_diff, git_log, git_show, git_blame. Read-only, each run through `_git`'s
hardened runner. Argument names follow the reference `mcp-server-git` (`repo_path`, `target`, `max_count`,
`revision`, `context_lines`) so clients and prompts written for it carry over."""

from __future__ import annotations

from typing import Any, TypeVar

import anyio
from pydantic import Field, field_validator

from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.failure import ToolFailure
from mcp_tools.repo._git import Repo, checked_value, open_repo
from mcp_tools.tool_context import ToolContext

__all__ = ["GitBlame", "GitDiff", "GitLog", "GitShow", "GitStatus", "git_tools"]


def _repo_path() -> Any:
    return Field(
        default=None,
        description="The repository's folder or any path inside it (default: the first workspace root).",
    )


_PATHS_HELP = (
    "Limit to these files or folders: relative to the repository's top level (as git prints them), "
    "or absolute."
)
# Options bind only this git process; `_git.HARDENING` binds the git processes it would start as well.
# --submodule=short: a submodule's change is its two commit ids, so git neither opens nor runs git in it.
_DIFF_OPTIONS = ["--no-ext-diff", "--no-textconv", "--no-color", "--submodule=short"]


class _GitArgs(Arguments):
    @field_validator("paths", mode="before", check_fields=False)
    @classmethod
    def _one_path(cls, value: object) -> object:
        # Models often pass one path as a plain string.
        return [value] if isinstance(value, str) else value


class StatusArgs(_GitArgs):
    repo_path: str | None = _repo_path()


class DiffArgs(_GitArgs):
    repo_path: str | None = _repo_path()
    target: str | None = Field(
        default=None,
        description="Compare with this commit, branch or tag (e.g. 'main', 'HEAD~3'), or a range 'A..B' / "
        "'A...B' to compare two commits. Default: unstaged changes (working tree vs the index).",
    )
    staged: bool = Field(
        default=False, description="Show what is staged for the next commit (the index vs HEAD)."
    )
    paths: list[str] = Field(default_factory=list, description=_PATHS_HELP)
    context_lines: int = Field(
        default=3, ge=0, le=1000, description="Unchanged lines shown around each change."
    )
    stat: bool = Field(default=False, description="Per-file summary of changed lines instead of the patch.")


class LogArgs(_GitArgs):
    repo_path: str | None = _repo_path()
    max_count: int = Field(default=20, ge=1, le=500, description="Most commits to list, newest first.")
    revision: str | None = Field(
        default=None, description="Branch, commit or range to list instead of HEAD, e.g. 'main..feature'."
    )
    paths: list[str] = Field(default_factory=list, description="Only commits touching these. " + _PATHS_HELP)
    since: str | None = Field(
        default=None, description="Only commits after this date: '2024-05-01', '2 weeks ago'."
    )
    until: str | None = Field(default=None, description="Only commits before this date.")
    patch: bool = Field(default=False, description="Add each commit's diff (keep max_count small).")


class ShowArgs(_GitArgs):
    repo_path: str | None = _repo_path()
    revision: str = Field(
        description="What to show: a commit ('HEAD', 'HEAD~1', a hash), a tag, or 'REV:path' for a file's "
        "content at that revision (e.g. 'HEAD~1:src/app.py'); 'REV:folder' lists a folder."
    )
    paths: list[str] = Field(default_factory=list, description="Limit a commit's diff. " + _PATHS_HELP)
    context_lines: int = Field(
        default=3, ge=0, le=1000, description="Unchanged lines shown around each change."
    )
    stat: bool = Field(
        default=False, description="Per-file summary of a commit's changes instead of its patch."
    )


class BlameArgs(_GitArgs):
    repo_path: str | None = _repo_path()
    path: str = Field(description="The file: relative to the repository's top level, or absolute.")
    revision: str | None = Field(
        default=None, description="Blame the file as of this commit (default: the disk)."
    )
    start_line: int | None = Field(default=None, ge=1, description="First line to blame (1-based).")
    end_line: int | None = Field(default=None, ge=1, description="Last line to blame (inclusive).")


ArgsT = TypeVar("ArgsT", bound=Arguments)


class _GitTool(ModelTool[ArgsT]):
    read_only = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def _paths(self, repo: Repo, raw: list[str]) -> list[str]:
        if not raw:
            return []
        # Resolving follows symlinks on disk: off the event loop.
        return await anyio.to_thread.run_sync(lambda: [repo.relative(item, "paths") for item in raw])


class GitStatus(_GitTool[StatusArgs]):
    name = "git_status"
    description = (
        "Show a git repository's status, like `git status`: the branch and how it compares with its "
        "upstream, changes staged for commit, changes not staged, and untracked files. Paths are relative "
        "to the repository's top level. Use git_diff to see the changes themselves."
    )
    arguments = StatusArgs

    async def run(self, args: StatusArgs) -> ToolOutcome:
        repo = await open_repo(self.ctx, args.repo_path, read_config=True)
        # Submodules are compared by commit only: checking one for local edits runs git inside it, under
        # the submodule's own config, which our filter lookup has not seen.
        out = await repo.git(["status", "--ignore-submodules=dirty"], label="git-status")
        return ToolOutcome(repo.framed(out.text.rstrip("\n")))


class GitDiff(_GitTool[DiffArgs]):
    name = "git_diff"
    description = (
        "Show changes as a unified diff. No arguments: unstaged changes (working tree vs the index). "
        "staged=true: what the next commit would contain (index vs HEAD). target: compare the working tree "
        "(or, with staged=true, the index) with a commit, branch or tag, or give a range 'A..B' to compare "
        "two commits. paths limits the diff; stat=true gives a per-file summary (a good first step for big "
        "changes). Untracked files never appear in a diff: see git_status."
    )
    arguments = DiffArgs

    async def run(self, args: DiffArgs) -> ToolOutcome:
        repo = await open_repo(self.ctx, args.repo_path, read_config=True)
        command = ["diff", *_DIFF_OPTIONS, "--ignore-submodules=dirty", *_patch_or_stat(args)]
        if args.staged:
            command.append("--cached")
        command.append("--end-of-options")
        if args.target is not None:
            command.append(checked_value(args.target, "target"))
        command += ["--", *await self._paths(repo, args.paths)]
        out = await repo.git(command, label="git-diff")
        if not out.text.strip():
            return ToolOutcome(repo.framed(f"No differences ({_compared(args)})."))
        return ToolOutcome(repo.framed(out.text.rstrip("\n")))


def _patch_or_stat(args: DiffArgs | ShowArgs) -> list[str]:
    # Not both: -U implies --patch, which would put the whole patch after the summary.
    return ["--stat=200", "--stat-graph-width=20"] if args.stat else [f"-U{args.context_lines}"]


def _compared(args: DiffArgs) -> str:
    if args.target is not None and ".." in args.target:
        what = args.target
    elif args.target is not None:
        what = f"{'index' if args.staged else 'working tree'} vs {args.target}"
    else:
        what = "index vs HEAD" if args.staged else "working tree vs index; staged changes need staged=true"
    return what + (f", limited to {', '.join(args.paths)}" if args.paths else "")


class GitLog(_GitTool[LogArgs]):
    name = "git_log"
    description = (
        "List commits, newest first, one per line: short hash, date, author, subject, then branch and tag "
        "names in parentheses. revision lists a branch, commit or range ('main..feature') instead of HEAD; "
        "paths keeps commits touching those files; since/until take dates ('2024-05-01', '2 weeks ago'). "
        "patch=true adds each commit's diff (keep max_count small). Pass a hash to git_show for details."
    )
    arguments = LogArgs

    async def run(self, args: LogArgs) -> ToolOutcome:
        repo = await open_repo(self.ctx, args.repo_path, read_config=False)
        command = ["log", *_DIFF_OPTIONS, f"--max-count={args.max_count}"]
        command += ["--date=format:%Y-%m-%d %H:%M", "--format=%h %ad %an: %s%d"]
        if args.since is not None:
            command.append(f"--since={checked_value(args.since, 'since')}")
        if args.until is not None:
            command.append(f"--until={checked_value(args.until, 'until')}")
        if args.patch:
            command.append("--patch")
        command.append("--end-of-options")
        if args.revision is not None:
            command.append(checked_value(args.revision, "revision"))
        command += ["--", *await self._paths(repo, args.paths)]
        out = await repo.git(command, label="git-log")
        if not out.text.strip():
            return ToolOutcome(repo.framed("No commits match."))
        return ToolOutcome(repo.framed(out.text.rstrip("\n")))


class GitShow(_GitTool[ShowArgs]):
    name = "git_show"
    description = (
        "Show one git object: a commit (hash, author, date, message and its diff), a tag, 'REV:path' for a "
        "file's content at a revision (e.g. 'HEAD~1:src/app.py', paths relative to the repository's top "
        "level), or 'REV:folder' for a folder listing. For a commit, paths limits the diff and stat=true "
        "gives a per-file summary instead."
    )
    arguments = ShowArgs

    async def run(self, args: ShowArgs) -> ToolOutcome:
        repo = await open_repo(self.ctx, args.repo_path, read_config=False)
        # An explicit format: a repo's `format.pretty` could ask for signature checks (%G?), which run gpg.
        command = ["show", *_DIFF_OPTIONS, "--format=medium", *_patch_or_stat(args)]
        command += ["--end-of-options", checked_value(args.revision, "revision")]
        command += ["--", *await self._paths(repo, args.paths)]
        out = await repo.git(command, label="git-show")
        if out.binary:
            note = f"{args.revision}: binary content ({out.total} bytes), not shown."
            return ToolOutcome(repo.framed(note))
        return ToolOutcome(repo.framed(out.text.rstrip("\n")))


class GitBlame(_GitTool[BlameArgs]):
    name = "git_blame"
    description = (
        "Show who last changed each line of a file: short commit hash, author, date, line number and the "
        "line. path is relative to the repository's top level (or absolute). Use start_line/end_line "
        "(1-based, inclusive) for a part of a big file; revision blames the file as of that commit instead "
        "of the working tree. Then git_show a hash to see that change."
    )
    arguments = BlameArgs

    async def run(self, args: BlameArgs) -> ToolOutcome:
        if args.start_line and args.end_line and args.end_line < args.start_line:
            raise ToolFailure(f"end_line {args.end_line} is before start_line {args.start_line}")
        repo = await open_repo(self.ctx, args.repo_path, read_config=True)
        path = await anyio.to_thread.run_sync(_blame_path, repo, args.path)
        command = ["blame", "--no-textconv", "--date=short"]
        if args.start_line or args.end_line:
            command.append(f"-L{args.start_line or 1},{args.end_line or ''}")
        if args.revision is not None:
            # git blame has no --end-of-options (2.39): it gets the full hash, which cannot be an option.
            command.append(await repo.commit_of(args.revision, "revision"))
        command += ["--", path]
        out = await repo.git(command, label="git-blame")
        return ToolOutcome(repo.framed(out.text.rstrip("\n") or f"{path}: empty file"))


def _blame_path(repo: Repo, raw: str) -> str:
    repo.check_blame_config()
    return repo.relative(raw, "path")


def git_tools(ctx: ToolContext) -> list[ModelTool[Any]]:
    """The five read-only git tools over `ctx`."""
    return [GitStatus(ctx), GitDiff(ctx), GitLog(ctx), GitShow(ctx), GitBlame(ctx)]
