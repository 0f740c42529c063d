"""The hardened git runner behind every git tool.

A repository folder is hostile input: its `.git/config` can name programs (fsmonitor, pager, external
diff, textconv and filter drivers, upload-pack or ssh for a partial clone's lazy fetch, gpg for signature
display) and git would run them on a plain `status`. So git runs with argument lists (no shell), command-line
config that outranks every config file, `--no-pager`, `--no-ext-diff`/`--no-textconv` where they apply,
filter drivers from the repository's own config switched off, a time limit and a bounded output. Caller
values never start with `-`, revisions follow `--end-of-options`, paths follow `--`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from mcp_tools.context import ToolContext
from mcp_tools.errors import ToolFailure
from mcp_tools.paths import PathPolicy, PathRefused, is_within
from mcp_tools.repo._process import Capture, read_bounded, reap, spawn

__all__ = ["GIT_TIMEOUT", "HARDENING", "GitOutput", "Repo", "checked_value", "git_environment", "open_repo"]

GIT_TIMEOUT = 30.0

# Command-line config outranks system, global and the repository's own config files.
HARDENING: tuple[str, ...] = (
    "-c", "core.fsmonitor=false",  # the repo's fsmonitor hook is a program status/diff/blame would run
    "-c", "core.hooksPath=/dev/null",  # no hooks, whatever a command might trigger
    "-c", "core.pager=cat",  # with --no-pager and GIT_PAGER=cat: no pager program from the repo
    "-c", "protocol.allow=never",  # a partial clone's lazy fetch would run upload-pack / ssh from config
    "-c", "log.showSignature=false",  # showing signatures runs gpg.program
    "-c", "color.ui=false",
    "-c", "color.diff=false",
    "-c", "color.status=false",
    "-c", "core.quotePath=false",  # non-ASCII paths as themselves, not octal escapes
    "-c", "advice.statusHints=false",  # status without "use git add ..." noise
)  # fmt: skip

# The user's own choice of config files is kept; every other GIT_* variable could point git elsewhere
# (GIT_DIR from a hook, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_EXTERNAL_DIFF, GIT_CONFIG_PARAMETERS ...).
_KEPT_GIT_VARIABLES = frozenset({"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"})
# Config scopes a repository folder carries with it (includes from them are reported as the same scope).
_REPO_SCOPES = frozenset({"local", "worktree"})
_STDERR_LIMIT = 8192


@dataclass(frozen=True)
class GitOutput:
    code: int
    text: str
    stderr: str
    binary: bool
    total: int


def checked_value(value: str, field: str) -> str:
    """A revision, path or date from the caller: never an option, never empty, one line."""
    if value == "":
        raise ToolFailure(f"{field} is empty")
    if value.startswith("-"):
        raise ToolFailure(
            f"{field}={value!r} starts with '-': option injection refused. Give a revision or a path, "
            "not a git option; the tool's own arguments cover the options it supports."
        )
    if "\x00" in value or "\n" in value or "\r" in value:
        raise ToolFailure(f"{field} contains a NUL byte or a line break")
    return value


def git_environment(ctx: ToolContext, disabled_filters: Sequence[str] = ()) -> dict[str, str]:
    env = {k: v for k, v in ctx.child_env.items() if not k.startswith("GIT_") or k in _KEPT_GIT_VARIABLES}
    env.update(
        GIT_PAGER="cat",
        PAGER="cat",
        GIT_OPTIONAL_LOCKS="0",  # status must not write the index
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",  # git 2.39.4+; protocol.allow=never covers older ones
        GIT_LITERAL_PATHSPECS="1",  # paths are paths: no `:(top)` or glob magic
        GIT_CEILING_DIRECTORIES=_ceilings(ctx),
    )
    # Filter driver names may hold any character ('=' too), so they go in as key/value pairs, not `-c`.
    pairs: list[tuple[str, str]] = []
    for name in disabled_filters:
        pairs += [(f"filter.{name}.{key}", "") for key in ("clean", "smudge", "process")]
        pairs.append((f"filter.{name}.required", "false"))
    env["GIT_CONFIG_COUNT"] = str(len(pairs))
    for index, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _ceilings(ctx: ToolContext) -> str:
    """Repository discovery stops at the roots: a `.git` in a folder above them is never found."""
    roots = ctx.policy.roots
    parents = {root.parent for root in roots if root.parent != root}
    return ":".join(str(p) for p in sorted(parents) if not any(is_within(p, root) for root in roots))


async def _run(cwd: Path, args: Sequence[str], env: dict[str, str], capture: Capture) -> tuple[int, str]:
    timeout = GIT_TIMEOUT
    argv = ["git", "--no-pager", *HARDENING, *args]
    try:
        proc = await spawn(argv, cwd=cwd, env=env)
    except FileNotFoundError:
        raise ToolFailure("git is not installed or not on PATH; install git to use the git tools") from None
    errors = asyncio.ensure_future(read_bounded(proc.stderr, _STDERR_LIMIT))
    try:
        async with asyncio.timeout(timeout):
            await capture.drain(proc.stdout)
            if not capture.capped:
                await proc.wait()
    except TimeoutError:
        raise ToolFailure(
            f"git {args[0]} did not finish within {timeout:.0f} s and was stopped; narrow it "
            "(paths, max_count, a smaller revision range)"
        ) from None
    finally:
        await reap(proc)
        stderr = (await errors).decode("utf-8", errors="replace")
    return (0 if capture.capped else proc.returncode or 0), stderr


def _ignore_revs_refused(value: str, why: str) -> str:
    return (
        f"the repository's config sets blame.ignoreRevsFile={value!r} ({why}); git blame would read that "
        "file, so blame is refused here. Remove the setting or point it at a file inside the repository."
    )


def _git_said(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " / ".join(lines[:6])[:1500] or "no message"


@dataclass(frozen=True)
class Repo:
    """A working tree whose top level is inside the roots, and the filters its own config defines."""

    ctx: ToolContext
    top: Path
    disabled_filters: tuple[str, ...] = ()
    ignore_revs_files: tuple[str, ...] = ()

    async def git(self, args: Sequence[str], *, label: str) -> GitOutput:
        """Run a git command at the top level; a failure becomes a ToolFailure with git's message."""
        capture = Capture(self.ctx.budget, self.ctx.spill, label)
        env = git_environment(self.ctx, self.disabled_filters)
        code, stderr = await _run(self.top, args, env, capture)
        if code != 0:
            raise ToolFailure(f"git {args[0]} failed: {_git_said(stderr)}")
        return GitOutput(code, capture.text(), stderr, capture.looks_binary, capture.total)

    async def commit_of(self, revision: str, field: str) -> str:
        """The full hash `revision` names: for commands (blame) that lack `--end-of-options` in older git."""
        checked_value(revision, field)
        capture = Capture(4096, self.ctx.spill, "rev-parse")
        args = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"]
        code, _ = await _run(self.top, args, git_environment(self.ctx), capture)
        commit = capture.text().strip()
        if code != 0 or not commit:
            raise ToolFailure(f"{field}={revision!r} does not name a commit in {self.shown}")
        return commit

    def relative(self, raw: str, field: str) -> str:
        """`raw` (relative to the top level, or absolute) checked by the path policy, as git's path for it."""
        checked_value(raw, field)
        # The one path policy, bounded by this working tree (itself inside the roots): relative paths
        # start at its top level, as git prints them.
        real = PathPolicy((self.top,)).resolve(raw)
        target = real
        if not raw.startswith("file:"):
            lexical = Path(os.path.normpath(raw if raw.startswith("/") else self.top / raw))
            # A tracked symlink is an entry of its own: keep its name, resolve only the folders above it.
            if lexical.is_symlink():
                target = Path(os.path.realpath(lexical.parent)) / lexical.name
        if not is_within(target, self.top):
            raise PathRefused(f"{raw}: outside the allowed roots (the repository {self.top})")
        return target.relative_to(self.top).as_posix()

    def check_blame_config(self) -> None:
        """git blame reads the repository's blame.ignoreRevsFile wherever it points and echoes a bad line of
        it; command-line config cannot take it back (the list is cleared only after the files are read)."""
        for value in self.ignore_revs_files:
            if value.startswith(("~", "%(")):
                raise PathRefused(_ignore_revs_refused(value, "outside the repository"))
            candidate = value if value.startswith("/") else str(self.top / value)
            try:
                self.ctx.resolve(candidate)
            except PathRefused as refused:
                raise PathRefused(_ignore_revs_refused(value, str(refused))) from None

    @property
    def shown(self) -> str:
        return self.ctx.show(self.top)

    def framed(self, text: str) -> str:
        """Output with a first line naming the repository when it is not the first root itself."""
        if self.top == self.ctx.policy.primary:
            return text
        return f"[repository {self.shown}; paths below are relative to it]\n{text}"


async def open_repo(ctx: ToolContext, raw: str | None, *, read_config: bool) -> Repo:
    """The repository holding `raw` (default: the first root). `read_config`: the command reads working-tree
    files (or blame's ignore list), so the repository's own config is looked at first: its filter drivers
    are switched off and its blame.ignoreRevsFile is checked against the roots."""
    if raw is None:
        start = ctx.policy.primary
    else:
        checked_value(raw, "repo_path")
        start = ctx.resolve(raw)
        if not start.exists():
            raise ToolFailure(f"repo_path {raw!r}: no such file or folder")
    folder = start if start.is_dir() else start.parent
    env = git_environment(ctx)
    top_capture = Capture(65536, ctx.spill, "rev-parse")
    config_capture = Capture(1 << 20, ctx.spill, "config")
    jobs = [_run(folder, ["rev-parse", "--show-toplevel"], env, top_capture)]
    if read_config:
        # At the same time as the top level: reading config runs nothing.
        wanted = r"^(filter\..*|blame\.ignorerevsfile)$"
        jobs.append(
            _run(folder, ["config", "--show-scope", "-z", "--get-regexp", wanted], env, config_capture)
        )
    # Both finish (each has its own time limit) before a failure of either is raised.
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    finished = cast(list[tuple[int, str]], outcomes)
    code, stderr = finished[0]
    shown = ctx.show(folder)
    if code != 0:
        raise ToolFailure(f"{shown} is not inside a git working tree (git said: {_git_said(stderr)})")
    # 1 is "no such setting"; anything else means the repo's filters are unknown: fail closed.
    if read_config and finished[1][0] not in (0, 1):
        raise ToolFailure(
            "could not read the repository's config (git 2.26 or later is needed): "
            + _git_said(finished[1][1])
        )
    top = Path(os.path.realpath(top_capture.text().strip()))
    if not any(is_within(top, root) for root in ctx.policy.roots):
        raise PathRefused(
            f"{shown}: its repository's working tree is {top}, outside the allowed roots; "
            "open the repository's top folder as a root"
        )
    filters: dict[str, None] = {}
    ignore_revs: list[str] = []
    for key, value in _repo_config(config_capture.text()):
        if key == "blame.ignorerevsfile":
            ignore_revs.append(value)
        elif key.count(".") >= 2:
            filters[key[len("filter.") : key.rindex(".")]] = None
    return Repo(ctx, top, tuple(filters), tuple(ignore_revs))


def _repo_config(listing: str) -> list[tuple[str, str]]:
    """(key, value) from the repository's own config files in `--show-scope -z` output:
    `scope NUL key LF value NUL` per entry."""
    fields = listing.split("\0")
    found = []
    for scope, entry in zip(fields[::2], fields[1::2], strict=False):
        if scope in _REPO_SCOPES:
            key, _, value = entry.partition("\n")
            found.append((key, value))
    return found
