"""What the sandbox costs a command: run_command sandboxed (workspace-write) against unsandboxed.

    python bench/bench_sandbox.py [--quick] [--runs N]

Both run through the real tool (`RunCommand.call`, the supervisor, and for the sandboxed one bubblewrap
with its namespaces, mounts and seccomp filter), alternating, in one process and one run, on two commands:
`true` (the fixed cost of starting) and a 1 MB output (`head -c 1000000 /dev/zero | tr ...`: the cost of
moving output out of the sandbox). Printed per command: median ms unsandboxed and sandboxed, their ratio,
and the milliseconds the sandbox adds. Goal: under 20 ms added per command. `--quick` takes a few seconds
(for CI); the default takes about half a minute.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import anyio

from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import SandboxMode, SandboxPolicy, sandbox_support
from mcp_tools.terminal import RunCommand
from mcp_tools.tool_context import ToolContext, child_environment

COMMANDS = {
    "true": "true",
    "1 MB of output": "head -c 1000000 /dev/zero | tr '\\0' x",
}
GOAL_MS = 20.0


def _tool(base: Path, mode: SandboxMode) -> RunCommand:
    ctx = ToolContext(
        base_policy=PathPolicy.of([base / "repo"], read_only_roots=[base / "spill"]),
        spill=Spill(base / "spill"),
        workspace=None,  # type: ignore[arg-type]  # run_command never uses it
        child_env=child_environment(os.environ),
        sandbox=SandboxPolicy(mode),
    )
    return RunCommand(ctx)


async def _time(tool: RunCommand, command: str) -> float:
    started = time.perf_counter()
    outcome = await tool.call({"command": command})
    elapsed = time.perf_counter() - started
    assert outcome.content.startswith("exit code 0"), outcome.content[:300]
    return elapsed * 1000


async def _measure(runs: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="m2bridge-bench-sandbox-") as folder:
        base = Path(folder)
        (base / "repo").mkdir()
        (base / "spill").mkdir()
        plain, boxed = _tool(base, SandboxMode.OFF), _tool(base, SandboxMode.WORKSPACE_WRITE)
        ok = True
        print(f"{'command':<16}{'off ms':>9}{'sandboxed ms':>14}{'ratio':>8}{'added ms':>10}")
        for label, command in COMMANDS.items():
            await _time(plain, command)  # warm up: the sandbox probe, page cache, imports
            await _time(boxed, command)
            off: list[float] = []
            on: list[float] = []
            for _ in range(runs):
                off.append(await _time(plain, command))
                on.append(await _time(boxed, command))
            a, b = statistics.median(off), statistics.median(on)
            ok = ok and b - a < GOAL_MS
            print(f"{label:<16}{a:>9.1f}{b:>14.1f}{b / a:>8.2f}{b - a:>10.1f}")
        print(f"goal: under {GOAL_MS:g} ms added per command: {'met' if ok else 'NOT met'}")
        return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI")
    parser.add_argument("--runs", type=int, default=None, help="runs per command and mode")
    args = parser.parse_args()
    support = sandbox_support()
    if not support.available:
        sys.exit(f"no sandbox here: {support.problem} (fix: {support.fix})")
    runs = args.runs or (10 if args.quick else 60)
    print(f"run_command, {runs} runs per command and mode, sandbox by {support.mechanism}")
    anyio.run(_measure, runs)  # a missed goal is a figure to read, not a failed run (timings vary by machine)


if __name__ == "__main__":
    main()
