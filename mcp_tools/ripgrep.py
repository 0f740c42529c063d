"""Where ripgrep's binary is: on PATH, or beside this interpreter (the `ripgrep` wheel installs it there)."""

from __future__ import annotations

import shutil
import sys
from functools import cache
from pathlib import Path

from mcp_tools.failure import ToolFailure

__all__ = ["find_rg"]


@cache
def _located() -> str | None:
    beside = Path(sys.executable).parent / "rg"
    if beside.is_file():
        return str(beside)
    return shutil.which("rg")


def find_rg() -> str:
    found = _located()
    if found is None:
        raise ToolFailure("ripgrep (rg) is not installed; install it with `pip install ripgrep==14.1.0`")
    return found
