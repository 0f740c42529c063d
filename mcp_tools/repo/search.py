"""The `search` tool: regex search of file contents with ripgrep, bounded by the path policy.

ripgrep runs with `--no-config` (no RIPGREP_CONFIG_PATH), in the searched folder opened beneath its root
(`mcp_tools.beneath`; one file is handed over as its stdin, already opened and checked), never `-L`
(symlinks met while walking are not followed, so nothing outside the roots is read), the pattern as
`--regexp=...` (never an option), and its plain `--null` output parsed as it streams: once `max_results`
matching lines are in, ripgrep is stopped rather than left to print the rest. Plain output rather than
`--json`: cheaper to produce and to parse, and `--max-columns` (long minified lines cut to a preview) only
applies to it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import anyio
from pydantic import Field, field_validator

from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.beneath import open_entry, spawn_in
from mcp_tools.budget import clip
from mcp_tools.failure import ToolFailure
from mcp_tools.paths import PathPolicy
from mcp_tools.repo._process import read_bounded, reap
from mcp_tools.ripgrep import find_rg
from mcp_tools.tool_context import ToolContext

__all__ = ["SearchArgs", "SearchTool"]

SEARCH_TIMEOUT = 60.0
MAX_COLUMNS = 300
MAX_RESULTS_CAP = 2000
_CHUNK = 1 << 16
_STDERR_LIMIT = 8192
_DIGITS = frozenset(b"0123456789")


class SearchArgs(Arguments):
    pattern: str = Field(
        min_length=1,
        description="Regular expression (Rust regex syntax: no look-around or backreferences), or literal "
        "text with fixed_strings=true. A pattern starting with '-' is fine.",
    )
    path: str = Field(
        default=".",
        description="Folder or file to search: relative to the first workspace root, or absolute.",
    )
    glob: list[str] = Field(
        default_factory=list,
        description="Only files matching these globs, e.g. ['*.py'] or ['src/**/*.ts']; a leading '!' "
        "excludes, e.g. ['!*.min.js'].",
    )
    ignore_case: bool = Field(default=False, description="Match regardless of case.")
    fixed_strings: bool = Field(default=False, description="Treat the pattern as literal text, not a regex.")
    context_lines: int = Field(default=0, ge=0, le=10, description="Lines shown before and after each match.")
    max_results: int = Field(
        default=200,
        ge=1,
        le=MAX_RESULTS_CAP,
        description="Most matching lines (or files, with files_only) returned.",
    )
    include_hidden: bool = Field(
        default=False, description="Also search hidden files and folders (not .git)."
    )
    include_ignored: bool = Field(
        default=False, description="Also search files that .gitignore/.ignore exclude."
    )
    files_only: bool = Field(default=False, description="List only the paths of files that match.")

    @field_validator("glob", mode="before")
    @classmethod
    def _one_glob(cls, value: object) -> object:
        # Models often pass a single glob as a plain string.
        return [value] if isinstance(value, str) else value


class SearchTool(ModelTool[SearchArgs]):
    name = "search"
    description = (
        "Search file contents with a regular expression (ripgrep) under a folder or in one file. Respects "
        ".gitignore and skips hidden and binary files unless asked. Each matching line comes back as "
        "`path:line: text` (context lines as `path-line- text`, groups separated by `--`), paths relative "
        "to the workspace root, at most max_results lines; long lines are cut to a preview. Narrow with "
        "path and glob (e.g. ['*.py']); fixed_strings=true searches literal text without escaping; "
        "files_only=true lists matching files. Read a hit in full with read_file."
    )
    arguments = SearchArgs
    read_only = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: SearchArgs) -> ToolOutcome:
        if "\x00" in args.pattern:
            raise ToolFailure("the pattern contains a NUL byte")
        # Resolved and opened beneath its root, off the loop: a folder or a regular file (no FIFO, device).
        target, fd, is_folder = await anyio.to_thread.run_sync(_open_target, self.ctx.policy, args.path)
        shown = self.ctx.show(target)
        env = {k: v for k, v in self.ctx.child_env.items() if k != "RIPGREP_CONFIG_PATH"}
        try:
            if is_folder:
                # rg starts in the checked folder and walks `.`; paths are shown from the root by prefix.
                listing = _Listing(args, prefix="" if shown == "." else shown + "/")
                # Confined to the roots: ripgrep's own walk cannot be led outside by a swapped folder.
                command = [*_command(find_rg(), args), "."]
                proc = await spawn_in(fd, str(target), command, env, reads_within=self.ctx.policy.anchors)
            else:
                # One file: rg reads the descriptor checked here, so a path swapped meanwhile reaches nothing.
                listing = _Listing(args, label=shown)
                proc = await spawn_in(None, "/", [*_command(find_rg(), args), "-"], env, stdin=fd)
        except OSError as err:
            raise ToolFailure(f"could not start ripgrep: {err}") from None
        finally:
            os.close(fd)
        errors = asyncio.ensure_future(read_bounded(proc.stderr, _STDERR_LIMIT))
        timed_out = False
        try:
            async with asyncio.timeout(SEARCH_TIMEOUT):
                await listing.consume(proc.stdout)
                if not listing.done:
                    await proc.wait()  # its exit code tells "no match" (1) from an error (2)
        except TimeoutError:
            timed_out = True
        finally:
            stopped_early = proc.returncode is None and (listing.done or timed_out)
            await reap(proc)
            stderr = (await errors).decode("utf-8", errors="replace").strip()
        if proc.returncode == 2 and not stopped_early and not listing.results:
            raise ToolFailure(_explain(stderr))
        text = listing.render(self.ctx.show(target), timed_out=timed_out)
        if proc.returncode == 2 and stderr and not stopped_early:
            text += f"\n[some files could not be searched: {_first_lines(stderr, 3)}]"
        return ToolOutcome(clip(text, self.ctx.budget, self.ctx.spill, "search"))


def _open_target(policy: PathPolicy, raw: str) -> tuple[Path, int, bool]:
    target = policy.resolve(raw)
    return (target, *open_entry(str(target), policy.anchors))


def _command(rg: str, args: SearchArgs) -> list[str]:
    command = [rg, "--no-config", "--color=never", "--null", f"--max-columns={MAX_COLUMNS}"]
    if args.files_only:
        command.append("--files-with-matches")
    else:
        command += ["--no-heading", "--with-filename", "--line-number", "--max-columns-preview"]
        if args.context_lines:
            command.append(f"--context={args.context_lines}")
    command.append("--ignore-case" if args.ignore_case else "--case-sensitive")
    if args.fixed_strings:
        command.append("--fixed-strings")
    if args.include_ignored:
        command.append("--no-ignore")
    command += [f"--glob={g}" for g in args.glob]
    if args.include_hidden:
        # Last, so it wins over the caller's globs: git's object store is never worth searching.
        command += ["--hidden", "--glob=!.git"]
    # `--regexp=` keeps a pattern such as `--pre=sh` a pattern; `--` keeps the path a path.
    command += [f"--regexp={args.pattern}", "--"]
    return command


class _Listing:
    """ripgrep's `path NUL line(:|-)text` lines turned into the listing, stopping at max_results."""

    def __init__(self, args: SearchArgs, *, prefix: str = "", label: str | None = None) -> None:
        self.args = args
        self.results: list[str] = []
        self.matches = 0
        self.matched_files: set[str] = set()
        self._shown_paths: dict[bytes, str] = {}
        self.cut = False  # max_results reached with more to come
        self.done = False
        self._prefix = prefix  # put before rg's `./`-relative paths
        self._label = label  # the one file searched on rg's stdin, named `<stdin>` by rg
        self._after = 0  # context lines kept after the last match

    async def consume(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        separator = b"\0" if self.args.files_only else b"\n"
        pending = b""
        while chunk := await stream.read(_CHUNK):
            lines = (pending + chunk).split(separator)
            pending = lines.pop()
            for line in lines:
                if self.args.files_only:
                    self._file(line)
                else:
                    self._line(line)
                if self.done:
                    return
            if len(pending) > 1 << 20:  # cannot happen with --max-columns; bounded all the same
                pending = b""
        if pending and not self.done:
            if self.args.files_only:
                self._file(pending)
            else:
                self._line(pending)

    def _shown(self, raw: bytes) -> str:
        if self._label is not None:
            return self._label
        shown = self._shown_paths.get(raw)
        if shown is None:
            path = raw[2:] if raw.startswith(b"./") else raw
            shown = self._shown_paths[raw] = self._prefix + path.decode("utf-8", errors="replace")
        return shown

    def _file(self, raw: bytes) -> None:
        if not raw.strip():
            return
        if self.matches >= self.args.max_results:
            self.cut = self.done = True
            return
        self.matches += 1
        self.results.append(self._shown(raw.rstrip(b"\n")))

    def _line(self, line: bytes) -> None:
        stopping = self.matches >= self.args.max_results
        nul = line.find(b"\0")
        if nul < 0:
            # `--` between context groups, or a note such as "binary file matches".
            if stopping:
                self.cut = self.done = True
            else:
                self.results.append(line.decode("utf-8", errors="replace"))
            return
        rest = line[nul + 1 :]
        digits = 0
        while digits < len(rest) and rest[digits] in _DIGITS:
            digits += 1
        if digits == 0 or digits == len(rest):
            return
        is_match = rest[digits] == ord(":")
        if stopping and (is_match or self._after >= self.args.context_lines):
            self.cut = self.done = True
            return
        if stopping:
            self._after += 1
        path = self._shown(line[:nul])
        number = rest[:digits].decode()
        text = rest[digits + 1 :].decode("utf-8", errors="replace").rstrip("\r")
        if is_match:
            self.matches += 1
            self.matched_files.add(path)
            self.results.append(f"{path}:{number}: {text}")
        else:
            self.results.append(f"{path}-{number}- {text}")

    def render(self, shown_target: str, *, timed_out: bool) -> str:
        args = self.args
        unit = "files" if args.files_only else "matching lines"
        if not self.results:
            note = f"No matches for {args.pattern!r} in {shown_target}"
            if timed_out:
                return f"{note} within {SEARCH_TIMEOUT:.0f} s (the search was stopped; narrow path or glob)."
            skipped: list[str] = []
            if not args.include_ignored:
                skipped.append("files excluded by .gitignore (include_ignored=true)")
            if not args.include_hidden:
                skipped.append("hidden files (include_hidden=true)")
            return note + (f"; not searched: {', '.join(skipped)}." if skipped else ".")
        lines = list(self.results)
        while lines and lines[-1] == "--":
            lines.pop()
        if args.files_only:
            summary = f"[{_count(self.matches, 'file')}]"
        else:
            in_files = _count(len(self.matched_files), "file")
            summary = f"[{_count(self.matches, 'matching line')} in {in_files}]"
        if self.cut:
            summary = (
                f"[stopped at max_results={args.max_results} {unit}; there are more. Narrow the search with "
                f"path, glob or a more specific pattern, or raise max_results (up to {MAX_RESULTS_CAP})]"
            )
        elif timed_out:
            summary += f"\n[the search was stopped after {SEARCH_TIMEOUT:.0f} s; results are incomplete]"
        return "\n".join(lines) + "\n" + summary


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _first_lines(text: str, count: int) -> str:
    return " / ".join(line.removeprefix("rg: ") for line in text.splitlines()[:count])


def _explain(stderr: str) -> str:
    if "regex parse error" in stderr or "error parsing regex" in stderr:
        detail = "\n".join(line.removeprefix("rg: ") for line in stderr.splitlines()[:8])
        return (
            f"invalid regular expression:\n{detail}\nEscape special characters with '\\', or set "
            "fixed_strings=true to search for the text literally."
        )
    return f"ripgrep failed: {_first_lines(stderr, 6) or 'no message'}"
