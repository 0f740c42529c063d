"""The hardened git runner behind every git tool.

A repository folder is hostile input. Its config can name programs (fsmonitor, pager, external diff,
textconv, diff and filter drivers, upload-pack or ssh for a partial clone's lazy fetch, gpg for signatures)
and files to read (includes, attributes and excludes files, a mailmap, an order file); its `.git` file,
`commondir` and `objects/info/alternates` can point git at another repository entirely. And git starts git:
`diff.submodule=diff` runs a child `git diff` in each submodule, under the submodule's own config.

So git runs with argument lists (no shell), `--no-pager`, and settings given as `-c`: command-line config
outranks every config file and, unlike options such as `--no-ext-diff`, is inherited by every git process
git starts (through GIT_CONFIG_PARAMETERS, as is the environment). Submodule recursion is off, so no child
git runs at all; the settings would still bind one if it did. Global and system config are kept out. The
repository's own config is read first (never following its includes) so that its diff and filter drivers
are switched off by name and its includes are checked. Before any of it, where the repository really is
(working tree, git folder, common folder, object stores) is checked against the roots (`_git_location`).
Caller values never start with `-`, revisions follow `--end-of-options`, paths follow `--`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from mcp_tools.failure import ToolFailure
from mcp_tools.paths import PathPolicy, PathRefused, is_within
from mcp_tools.repo._git_location import Outside, Where, checked_location, read_regular
from mcp_tools.repo._process import Capture, read_bounded, reap, spawn
from mcp_tools.tool_context import ToolContext

__all__ = ["GIT_TIMEOUT", "HARDENING", "GitOutput", "Repo", "checked_value", "git_environment", "open_repo"]

GIT_TIMEOUT = 30.0

# Command-line config: it outranks the repository's config files and every child git inherits it. Keys
# whose programs only write commands, merges or network transports reach (merge drivers, mergetool,
# difftool, sendemail, imap, http files) need nothing here: no command we run reaches them, and
# protocol.allow=never with GIT_NO_LAZY_FETCH stops every transport (ssh, proxy, upload-pack, helpers).
HARDENING: tuple[str, ...] = (
    "-c", "core.fsmonitor=false",  # the repo's fsmonitor hook is a program status/diff/blame would run
    "-c", "core.hooksPath=/dev/null",  # no hooks, whatever a command might trigger
    "-c", "core.pager=cat",  # with --no-pager and GIT_PAGER=cat: no pager program from the repo
    "-c", "core.editor=:",
    "-c", "sequence.editor=:",
    "-c", "protocol.allow=never",  # a partial clone's lazy fetch would run upload-pack / ssh from config
    "-c", "credential.helper=",  # an empty value clears the list of helpers
    "-c", "core.askPass=",
    "-c", "diff.external=",  # a child `git diff` lacks our --no-ext-diff: it fails rather than run one
    "-c", "diff.submodule=short",  # `diff` or `log` would run git inside (or read) each submodule
    "-c", "submodule.recurse=false",
    "-c", "status.submoduleSummary=false",  # would run `git submodule summary`
    "-c", "log.showSignature=false",  # showing signatures runs gpg.program
    "-c", "gpg.program=/dev/null",  # nothing to run, should a signature ever be checked
    "-c", "gpg.openpgp.program=/dev/null",
    "-c", "gpg.x509.program=/dev/null",
    "-c", "gpg.ssh.program=/dev/null",
    "-c", "gpg.ssh.allowedSignersFile=/dev/null",
    # Files git would read wherever the config points them.
    "-c", "core.attributesFile=/dev/null",
    "-c", "core.excludesFile=/dev/null",
    "-c", "diff.orderFile=/dev/null",
    "-c", "mailmap.file=/dev/null",
    "-c", "safe.bareRepository=explicit",  # a bare repository planted in a folder is never discovered
    "-c", "color.ui=false",
    "-c", "color.diff=false",
    "-c", "color.status=false",
    "-c", "core.quotePath=false",  # non-ASCII paths as themselves, not octal escapes
    "-c", "advice.statusHints=false",  # status without "use git add ..." noise
)  # fmt: skip

# Config scopes a repository folder carries with it.
_REPO_SCOPES = frozenset({"local", "worktree"})
# The repository's settings we act on: drivers to switch off, blame's ignore list, includes to check.
_WANTED = (
    r"^(filter\..+\.[^.]+|diff\..+\.(command|textconv)|blame\.ignorerevsfile"
    r"|include\.path|includeif\..+\.path)$"
)
_LOCATE = ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-toplevel"]
_MAX_INCLUDE_DEPTH = 10  # git's own limit
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


def git_environment(
    ctx: ToolContext, disabled_filters: Sequence[str] = (), disabled_diff_drivers: Sequence[str] = ()
) -> dict[str, str]:
    """The environment of every git process: no GIT_* variable of ours, no global or system config, the
    repository's named filter and diff drivers switched off (children of git inherit all of it)."""
    # Every GIT_* variable could point git elsewhere (GIT_DIR from a hook, GIT_WORK_TREE, GIT_INDEX_FILE,
    # GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_EXTERNAL_DIFF, GIT_CONFIG_PARAMETERS ...).
    env = {k: v for k, v in ctx.child_env.items() if not k.startswith("GIT_")}
    env.update(
        # The user's global and system config stay out too: they can name programs (a filter, a textconv,
        # git-lfs) that a hostile repository's .gitattributes would then run on its own files, and files
        # to include; the tools must behave the same whatever the user's config holds.
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_SYSTEM=os.devnull,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_PAGER="cat",
        PAGER="cat",
        GIT_EDITOR=":",
        GIT_SEQUENCE_EDITOR=":",
        GIT_OPTIONAL_LOCKS="0",  # status must not write the index
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",  # git 2.39.4+; protocol.allow=never covers older ones
        GIT_LITERAL_PATHSPECS="1",  # paths are paths: no `:(top)` or glob magic
        GIT_CEILING_DIRECTORIES=_ceilings(ctx),
    )
    # Driver names may hold any character ('=' too), so they go in as key/value pairs, not `-c`. An empty
    # command is no command: git runs no filter, and a diff that would need the driver fails.
    pairs: list[tuple[str, str]] = []
    for name in disabled_filters:
        pairs += [(f"filter.{name}.{key}", "") for key in ("clean", "smudge", "process")]
        pairs.append((f"filter.{name}.required", "false"))
    for name in disabled_diff_drivers:
        pairs += [(f"diff.{name}.command", ""), (f"diff.{name}.textconv", "")]
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
    """A working tree whose repository is wholly inside the roots, and the drivers its own config names."""

    ctx: ToolContext
    top: Path
    disabled_filters: tuple[str, ...] = ()
    ignore_revs_files: tuple[str, ...] = ()
    disabled_diff_drivers: tuple[str, ...] = ()

    async def git(self, args: Sequence[str], *, label: str) -> GitOutput:
        """Run a git command at the top level; a failure becomes a ToolFailure with git's message."""
        capture = Capture(self.ctx.budget, self.ctx.spill, label)
        env = git_environment(self.ctx, self.disabled_filters, self.disabled_diff_drivers)
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
    """The repository holding `raw` (default: the first root), refused unless its working tree, git
    folder, common folder, object stores and config files are all inside the roots. `read_config`: the
    command reads working-tree files (or blame's ignore list), so the repository's own config is read too:
    its filter and diff drivers are switched off and its blame.ignoreRevsFile is checked against the roots.
    Includes in that config are checked either way: every file they name must be inside the roots."""
    if raw is None:
        folder = ctx.policy.primary
    else:
        checked_value(raw, "repo_path")
        folder = await anyio.to_thread.run_sync(_start_folder, ctx.policy, raw)
    env = git_environment(ctx)
    config_job: asyncio.Future[list[tuple[str, str]]] | None = None
    if read_config:
        # At the same time as the location: reading config runs nothing, and includes are not followed.
        config_job = asyncio.ensure_future(_own_config(folder, env, ctx))
    try:
        where = await _locate(ctx, folder, env, submodules=read_config)
        entries = await config_job if config_job is not None else []
        if where.with_includes:
            # Rare: the config mentions includes. Each file is read on its own and checked before the next.
            entries = await _included_config(ctx, where, env)
    finally:
        if config_job is not None and not config_job.done():
            config_job.cancel()
            await asyncio.gather(config_job, return_exceptions=True)
    settings = _Settings.of(entries)
    return Repo(ctx, where.top, settings.filters, settings.ignore_revs, settings.diff_drivers)


def _start_folder(policy: PathPolicy, raw: str) -> Path:
    """The folder git starts from for `repo_path` (checked by the path policy; a file's folder)."""
    start = policy.resolve(raw)
    if not start.exists():
        raise ToolFailure(f"repo_path {raw!r}: no such file or folder")
    return start if start.is_dir() else start.parent


async def _locate(ctx: ToolContext, folder: Path, env: dict[str, str], *, submodules: bool) -> Where:
    """Where git would find the repository for `folder`, checked against the roots before any other git
    command runs (finding it reads the `.git` file or folder and the config, and runs nothing)."""
    capture = Capture(65536, ctx.spill, "rev-parse")
    code, stderr = await _run(folder, _LOCATE, env, capture)
    shown = ctx.show(folder)
    if code != 0:
        raise ToolFailure(f"{shown} is not inside a git working tree (git said: {_git_said(stderr)})")
    lines = capture.text().split("\n")
    if len(lines) != 4 or lines[3] != "" or not all(line.startswith("/") for line in lines[:3]):
        raise ToolFailure(f"{shown}: could not tell where its repository is (git said {capture.text()!r})")
    roots = ctx.policy.roots
    found = lines[0], lines[1], lines[2]
    return await anyio.to_thread.run_sync(checked_location, roots, shown, *found, submodules)


async def _own_config(folder: Path, env: dict[str, str], ctx: ToolContext) -> list[tuple[str, str]]:
    """The repository's own settings we act on (local and worktree scopes, includes not followed)."""
    capture = Capture(1 << 20, ctx.spill, "config")
    args = ["config", "--no-includes", "--show-scope", "-z", "--get-regexp", _WANTED]
    code, stderr = await _run(folder, args, env, capture)
    # 1 is "no such setting"; anything else means the repo's drivers are unknown: fail closed.
    if code not in (0, 1):
        raise ToolFailure(
            f"could not read the repository's config (git 2.26 or later is needed): {_git_said(stderr)}"
        )
    fields = capture.text().split("\0")
    return [
        _entry(entry)
        for scope, entry in zip(fields[::2], fields[1::2], strict=False)
        if scope in _REPO_SCOPES
    ]


def _entry(entry: str) -> tuple[str, str]:
    key, _, value = entry.partition("\n")
    return key, value


async def _included_config(ctx: ToolContext, where: Where, env: dict[str, str]) -> list[tuple[str, str]]:
    """Every setting we act on from the repository's config files and the files they include, read one file
    at a time with includes off; an include naming a file outside the roots (or `~`, or `%(prefix)`) is
    refused before git would read it. Conditional includes count whatever their condition."""
    roots = ctx.policy.roots
    shown = ctx.show(where.top)
    queue = [(config, 0) for config in where.with_includes]
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    while queue:
        config, depth = queue.pop(0)
        real = os.path.realpath(config)
        if real in seen or depth > _MAX_INCLUDE_DEPTH:
            continue
        seen.add(real)
        capture = Capture(1 << 20, ctx.spill, "config")
        args = ["config", "--file", config, "--no-includes", "-z", "--get-regexp", _WANTED]
        code, stderr = await _run(where.top, args, env, capture)
        if code not in (0, 1):
            raise ToolFailure(f"could not read the config file {config}: {_git_said(stderr)}")
        for key, value in (_entry(item) for item in capture.text().split("\0") if item):
            found.append((key, value))
            if key == "include.path" or (key.startswith("includeif.") and key.endswith(".path")):
                target = _included_file(roots, shown, config, key, value)
                if os.path.exists(target):
                    queue.append((target, depth + 1))
    return found


def _included_file(roots: Sequence[Path], shown: str, config: str, key: str, value: str) -> str:
    """The file an include names (relative to the file holding it, as git reads it), refused if outside."""
    if value.startswith(("~", "%(")) or value == "":
        raise PathRefused(
            f"{shown}: {config} sets {key}={value!r}, a file outside the allowed roots (`~` and `%(prefix)` "
            "are outside); git would read it, so the git tools refuse this repository. Remove the include "
            "or point it at a file inside the roots."
        )
    target = os.path.normpath(
        value if value.startswith("/") else os.path.join(os.path.dirname(config), value)
    )
    Outside(tuple(str(root) for root in roots), shown).path(
        target, f"{config} sets {key}={value!r}; that file"
    )
    if os.path.exists(target):
        read_regular(target, 0)  # refuses a FIFO or device before git would block on it
    return target


@dataclass
class _Settings:
    filters: tuple[str, ...] = ()
    diff_drivers: tuple[str, ...] = ()
    ignore_revs: tuple[str, ...] = ()

    @classmethod
    def of(cls, entries: Sequence[tuple[str, str]]) -> _Settings:
        filters: dict[str, None] = {}
        drivers: dict[str, None] = {}
        ignore_revs: list[str] = []
        for key, value in entries:
            if key == "blame.ignorerevsfile":
                ignore_revs.append(value)
            elif key.startswith("filter.") and key.count(".") >= 2:
                filters[key[len("filter.") : key.rindex(".")]] = None
            elif key.startswith("diff.") and key.count(".") >= 2:
                drivers[key[len("diff.") : key.rindex(".")]] = None
        return cls(tuple(filters), tuple(drivers), tuple(ignore_revs))
