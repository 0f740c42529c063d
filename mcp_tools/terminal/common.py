"""What the terminal tools share: where a command runs, inside which sandbox, and bounded durations."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from pydantic_core import PydanticCustomError

from mcp_tools.failure import ToolFailure
from mcp_tools.paths import is_within
from mcp_tools.sandbox import Confinement, SandboxMode, effective_mode, sandbox_support
from mcp_tools.tool_context import ToolContext

__all__ = ["NETWORK_DESCRIPTION", "SHELL", "check_posix", "check_seconds", "confinement", "working_directory"]

NETWORK_DESCRIPTION = (
    "Give this command network access inside the sandbox (it has none by default). Only when it needs "
    "the network (downloads, package installs, API calls); the user sees it in the approval prompt. "
    "Default false."
)

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


def confinement(ctx: ToolContext, network: bool) -> Confinement | None:
    """The sandbox a command of this call runs in, from the user's policy; None when it is off.

    Raises ToolFailure when the policy wants a sandbox this machine cannot make and no fallback is allowed
    (the server then lists no process tools; this is the wall behind that).
    """
    policy = ctx.sandbox
    if policy.mode is SandboxMode.OFF:
        return None
    support = sandbox_support()
    mode = effective_mode(policy, support)
    if mode is None:
        fix = f"; fix: {support.fix}" if support.fix else ""
        raise ToolFailure(f"commands cannot run: no sandbox on this machine ({support.problem}){fix}")
    if mode is SandboxMode.OFF:
        return None
    return Confinement(
        mode,
        network=policy.allow_network or network,
        roots=ctx.policy.roots,
        readable=ctx.policy.read_only_roots,
    )
