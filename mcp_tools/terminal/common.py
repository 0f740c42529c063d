"""What the terminal tools share: where a command runs, and bounded durations with clear errors."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from pydantic_core import PydanticCustomError

from mcp_tools.failure import ToolFailure
from mcp_tools.paths import is_within
from mcp_tools.tool_context import ToolContext

__all__ = ["SHELL", "check_posix", "check_seconds", "working_directory"]

SHELL = "/bin/sh"


def check_posix() -> None:
    """Process groups and pseudo-terminals are POSIX; say so instead of failing obscurely."""
    if sys.platform == "win32":
        raise ToolFailure("the terminal tools need Linux or macOS; Windows is not supported yet")


def working_directory(ctx: ToolContext, raw: str | None) -> Path:
    """The real folder a command runs in: `raw` through the path policy, or the primary root."""
    if raw is None:
        return ctx.policy.primary
    path = ctx.resolve(raw)
    # The spill folder is readable, but nothing is run there: commands write where they run.
    if not any(is_within(path, root) for root in ctx.policy.roots):
        raise ToolFailure(f"cwd {raw}: the spilled-output folder is read-only; run commands inside a root")
    if not path.is_dir():
        raise ToolFailure(f"cwd {raw}: not a folder; give a folder inside the roots, or omit cwd")
    return path


def check_seconds(value: float | None, name: str, maximum: float, hint: str = "") -> float | None:
    """`value` when it is a finite number of seconds in (0, maximum]; else a validation error saying so."""
    if value is None:
        return None
    if not (math.isfinite(value) and 0 < value <= maximum):
        message = f"{name} must be more than 0 and at most {maximum:g} seconds (got {value:g})"
        # The template must be a literal; the text, made here, goes in as its one field.
        full = message + (f"; {hint}" if hint else "")
        raise PydanticCustomError("seconds_range", "{message}", {"message": full})
    return value
