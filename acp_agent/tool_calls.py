"""How a tool call looks in the editor: ACP's `kind` by the tool's name, a title, `locations` (file and
line) from the arguments, so the editor can follow along, and an edit's diff.

The diff is built from the call's own arguments (edit_file's old and new strings, write_file's whole
new text), never by reading the file: a path from M2 is only trusted once the tool's path policy has
checked it, and a preview must not show the editor a file the tool would refuse to touch."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acp import tool_diff_content
from acp.schema import FileEditToolCallContent, ToolCallLocation, ToolKind

__all__ = ["edit_diffs", "tool_kind", "tool_locations", "tool_title"]

_KINDS: dict[str, ToolKind] = {
    **dict.fromkeys(
        ("read_file", "list_dir", "git_status", "git_diff", "git_log", "git_show", "git_blame"), "read"
    ),
    **dict.fromkeys(("read_process", "list_processes"), "read"),
    **dict.fromkeys(("write_file", "edit_file"), "edit"),
    **dict.fromkeys(("search", "find_files"), "search"),
    **dict.fromkeys(("run_command", "start_process", "write_process", "kill_process"), "execute"),
}
_LINE_KEYS = ("line", "start_line", "offset")
_TITLE = 200


def tool_kind(name: str) -> ToolKind:
    if name in _KINDS:
        return _KINDS[name]
    return "fetch" if "fetch" in name else "other"


def tool_title(name: str, arguments: Mapping[str, Any]) -> str:
    command, path = arguments.get("command"), arguments.get("path")
    if isinstance(command, str):
        shown = f"{name}: {command}"
    elif isinstance(path, str):
        shown = f"{name} {path}"
    elif isinstance(arguments.get("pattern"), str):
        shown = f"{name} {arguments['pattern']}"
    else:
        shown = f"{name} {json.dumps(dict(arguments), ensure_ascii=False)}" if arguments else name
    return shown if len(shown) <= _TITLE else shown[: _TITLE - 1] + "…"


def tool_locations(arguments: Mapping[str, Any], cwd: Path) -> list[ToolCallLocation]:
    """The file an argument names, made absolute against the session's folder, with a line if given."""
    path = arguments.get("path")
    if not isinstance(path, str) or not path or "\0" in path:
        return []
    line = next(
        (v for k in _LINE_KEYS if isinstance(v := arguments.get(k), int) and not isinstance(v, bool)), None
    )
    absolute = path if os.path.isabs(path) else os.path.normpath(cwd / path)
    return [ToolCallLocation(path=absolute, line=line if line is None or line >= 0 else None)]


def edit_diffs(name: str, arguments: Mapping[str, Any], cwd: Path) -> list[FileEditToolCallContent]:
    """An edit as ACP's diff: edit_file's replaced text and its replacement, write_file's new file."""
    locations = tool_locations(arguments, cwd)
    if not locations:
        return []
    path = locations[0].path
    old, new, content = arguments.get("old_string"), arguments.get("new_string"), arguments.get("content")
    if name == "edit_file" and isinstance(old, str) and isinstance(new, str):
        return [tool_diff_content(path, new, old)]
    if name == "write_file" and isinstance(content, str):
        return [tool_diff_content(path, content)]
    return []
