"""File tools: read_file, write_file, edit_file. Every path goes through the path policy first, then is
opened beneath its root's descriptor (`mcp_tools.beneath`): regular files only, in worker threads."""

from __future__ import annotations

import difflib
import os
from functools import partial
from itertools import islice
from pathlib import Path

import anyio
from pydantic import Field

from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.beneath import lstat_at, open_file, open_parent, require_regular
from mcp_tools.disk import TooLarge, looks_binary
from mcp_tools.failure import ToolFailure
from mcp_tools.mounts import may_block
from mcp_tools.paths import PathPolicy
from mcp_tools.tool_context import ToolContext

__all__ = ["EditFile", "ReadFile", "WriteFile"]

_MAX_LINE = 2000


class ReadArgs(Arguments):
    path: str = Field(description="File to read: relative to the first root, or absolute inside a root.")
    offset: int = Field(default=1, ge=1, description="First line to return (1-based).")
    limit: int = Field(default=2000, ge=1, le=20000, description="Most lines to return.")


class ReadFile(ModelTool[ReadArgs]):
    name = "read_file"
    description = (
        "Read a text file with line numbers (`N<TAB>text`). Use offset/limit to page through long files; "
        "the answer says which line to continue from. Binary files are refused. Lines over 2000 characters "
        "are cut. Spilled outputs from run_command and search can be read here by the path they give."
    )
    arguments = ReadArgs
    read_only = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: ReadArgs) -> ToolOutcome:
        # On the loop only while no network or FUSE file system could make realpath wait (mcp_tools.mounts).
        if may_block():
            path = await anyio.to_thread.run_sync(self.ctx.policy.resolve, args.path)
        else:
            path = self.ctx.resolve(args.path)
        try:
            text = await self.ctx.workspace.read_text(str(path))
        except TooLarge:
            # Spilled outputs can be far larger than memory should hold: stream to the wanted lines.
            lines, total = await anyio.to_thread.run_sync(
                _page_large_file, str(path), self.ctx.policy.anchors, args.offset, args.limit
            )
            return ToolOutcome(self._numbered(args, lines, total))
        every = text.splitlines(keepends=True)
        lines = every[args.offset - 1 : args.offset - 1 + args.limit]
        return ToolOutcome(self._numbered(args, lines, len(every)))

    def _numbered(self, args: ReadArgs, lines: list[str], total: int | None) -> str:
        if total == 0:
            return "(empty file)"
        if not lines:
            return f"(no lines at offset {args.offset}; the file has {total} lines)"
        out: list[str] = []
        used = 0
        last = args.offset - 1
        for number, line in enumerate(lines, start=args.offset):
            body = line.rstrip("\r\n")
            if len(body) > _MAX_LINE:
                body = body[:_MAX_LINE] + f" [... line cut at {_MAX_LINE} characters]"
            entry = f"{number:>6}\t{body}"
            if used + len(entry) > self.ctx.budget and out:
                break
            out.append(entry)
            used += len(entry) + 1
            last = number
        more = total is None or last < total
        if more:
            known = f" of {total}" if total is not None else ""
            out.append(f"[lines {args.offset}-{last}{known}; continue with offset={last + 1}]")
        return "\n".join(out)


def _page_large_file(
    path: str, anchors: tuple[str, ...], offset: int, limit: int
) -> tuple[list[str], int | None]:
    """Stream to the wanted lines without loading the file (spilled outputs can be 100 MB)."""
    fd, _ = open_file(path, anchors)
    with os.fdopen(fd, "rb") as handle:
        if looks_binary(handle.read(8192)):
            raise ToolFailure(f"{path}: binary file; not shown as text")
        handle.seek(0)
        chosen = list(islice(handle, offset - 1, offset - 1 + limit))
        at_end = handle.read(1) == b""
    lines = [raw.decode("utf-8", errors="replace") for raw in chosen]
    return lines, (offset - 1 + len(lines) if at_end else None)


class WriteArgs(Arguments):
    path: str = Field(description="File to create or replace, inside a root.")
    content: str = Field(description="The whole new content of the file.")


class WriteFile(ModelTool[WriteArgs]):
    name = "write_file"
    description = (
        "Create a file, or replace a whole file, with the given content. Missing parent folders are "
        "created. The write is atomic. To change part of an existing file, prefer edit_file."
    )
    arguments = WriteArgs
    destructive = True
    idempotent = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: WriteArgs) -> ToolOutcome:
        # Resolved and prepared in a worker thread: realpath, mkdir and lstat all touch the disk.
        path, existed = await anyio.to_thread.run_sync(_prepare_write, self.ctx.policy, args.path)
        note = await self.ctx.workspace.write_text(str(path), args.content)
        verb = "replaced" if existed else "created"
        return ToolOutcome(
            _with_note(f"{verb} {self.ctx.show(path)} ({len(args.content.encode())} bytes)", note)
        )


def _prepare_write(policy: PathPolicy, raw: str) -> tuple[Path, bool]:
    """The checked path; its missing parent folders made; whether the file exists. Only a file will do.

    Each folder is made relative to its checked parent's descriptor, so a symlink planted on the way is
    refused, never followed (for the disk and the editor alike: the editor cannot make folders).
    """
    path = policy.resolve(raw, write=True)
    with open_parent(str(path), policy.anchors, create=True) as (parent, name):
        info = lstat_at(parent, name)
        if info is not None:
            require_regular(info.st_mode, str(path))
        return path, info is not None


class EditArgs(Arguments):
    path: str = Field(description="File to edit, inside a root.")
    old_string: str = Field(description="Exact text to replace, whitespace included; must occur once.")
    new_string: str = Field(description="Text to put in its place.")
    replace_all: bool = Field(default=False, description="Replace every occurrence instead of requiring one.")


class EditFile(ModelTool[EditArgs]):
    name = "edit_file"
    description = (
        "Replace an exact piece of text in a file and return the unified diff. old_string must match the "
        "file exactly (indentation too) and occur exactly once, unless replace_all is true; include "
        "surrounding lines to make it unique. Line endings, byte-order mark, encoding and permissions "
        "are kept. Read the file first if unsure of its current text."
    )
    arguments = EditArgs
    destructive = True

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    async def run(self, args: EditArgs) -> ToolOutcome:
        if args.old_string == "":
            raise ToolFailure("old_string is empty; to create a file use write_file")
        if args.old_string == args.new_string:
            raise ToolFailure("old_string and new_string are the same; nothing to change")
        path = await anyio.to_thread.run_sync(partial(self.ctx.policy.resolve, args.path, write=True))
        before = await self.ctx.workspace.read_text(str(path))
        old, new = _match_line_endings(before, args.old_string, args.new_string)
        count = before.count(old)
        if count == 0:
            raise ToolFailure(
                f"old_string was not found in {self.ctx.show(path)}; read the file again and copy the "
                "text exactly, whitespace included"
            )
        if count > 1 and not args.replace_all:
            raise ToolFailure(
                f"old_string occurs {count} times in {self.ctx.show(path)}; add surrounding lines to make "
                "it unique, or set replace_all"
            )
        after = before.replace(old, new) if args.replace_all else before.replace(old, new, 1)
        note = await self.ctx.workspace.write_text(str(path), after)
        shown = self.ctx.show(path)
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"a/{shown}",
                tofile=f"b/{shown}",
            )
        )
        replaced = f"{count} occurrences" if args.replace_all and count > 1 else "1 occurrence"
        summary = _with_note(f"edited {shown}: replaced {replaced}", note)
        return ToolOutcome(f"{summary}\n{_clip_diff(diff, self.ctx.budget)}")


def _with_note(summary: str, note: str | None) -> str:
    return f"{summary}. {note}" if note else summary


def _match_line_endings(text: str, old: str, new: str) -> tuple[str, str]:
    """Models write `\\n`; a CRLF file keeps CRLF, so the strings follow the file's convention."""
    if "\r\n" in text and "\r\n" not in old and "\n" in old:
        return old.replace("\n", "\r\n"), new.replace("\r\n", "\n").replace("\n", "\r\n")
    return old, new


def _clip_diff(diff: str, budget: int) -> str:
    if len(diff) <= budget:
        return diff
    return diff[:budget] + f"\n[... diff cut at {budget} characters; read the file to see the rest]"
