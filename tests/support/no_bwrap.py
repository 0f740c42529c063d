"""A PATH with every program of the real one except bubblewrap: a machine without a sandbox, for real."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROCESS_TOOLS", "path_without_bwrap"]

# The tools that start programs, which a machine without a sandbox must not offer (written out here, not
# imported from mcp_tools.toolkit, so a tool dropped from the product's list is caught).
PROCESS_TOOLS = frozenset(
    {"run_command", "start_process", "read_process", "write_process", "kill_process", "list_processes"}
)


def path_without_bwrap(folder: Path, path: str | None = None) -> str:
    """One folder of links to every program on `path` (first one of each name wins) but `bwrap`."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        try:
            programs = list(Path(entry).iterdir())
        except OSError:
            continue
        for program in programs:
            link = folder / program.name
            if program.name == "bwrap" or link.exists() or link.is_symlink():
                continue
            link.symlink_to(program)
    return str(folder)
