"""Start-up: spawn to the first `list_tools` answer, ours vs other MCP servers over stdio.

    python bench/bench_startup.py [--quick] [--no-imports]

Each round spawns every server once, in turn, through the SDK client (its default mode: a 2026-07-28
discover probe, then the initialize handshake if the server is older) and times spawn, connect and the
first `tools/list`; shutting down is not timed. Servers:
  m2bridge           `python -m m2bridge mcp --root TMP` (ours), and the installed `m2bridge` script;
  sdk-echo           bench/echo_server.py on this interpreter: the bare SDK, the floor;
  mcp-server-git     `mcp-server-git --repository TMP` (PyPI, its own venv);
  minimax-mcp        `minimax-mcp` with a dummy key and host (PyPI; it prints to stdout at start);
  server-filesystem  @modelcontextprotocol/server-filesystem (Node), for scale.
Prints medians in seconds and ours as a ratio against each (goal: no slower than sdk-echo), then, from
`python -X importtime`, what ours imports beyond the bare SDK server, largest first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mcp_peers
from mcp_peers import ConnectFailed, Server, median_seconds, stray_lines


async def spawn_once(server: Server) -> tuple[float, int]:
    assert server.params is not None
    start = time.perf_counter()
    async with mcp_peers.connect(server.params, timeout=30) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - start
    return elapsed, len(tools.tools)


def import_times(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, int], dict[str, int]]:
    """Total import time (s), self time per top-level package (us), cumulative per first-party module."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        stdin=subprocess.DEVNULL,  # a stdio server stops at end of input
        capture_output=True,
        text=True,
        env=env,
        cwd=mcp_peers.ROOT,
        timeout=60,
    )
    per_package: dict[str, int] = defaultdict(int)
    ours: dict[str, int] = {}
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        module = name.strip()
        per_package[module.split(".")[0]] += int(own)
        total += int(own)
        if module.split(".")[0] in ("m2bridge", "mcp_tools"):
            ours[module] = int(cumulative)
    return total / 1e6, dict(per_package), ours


def median_imports(
    command: list[str], env: dict[str, str], runs: int
) -> tuple[float, dict[str, int], dict[str, int]]:
    samples = [import_times(command, env) for _ in range(runs)]

    def per_key(index: int) -> dict[str, int]:
        keys = {key for sample in samples for key in sample[index]}
        return {key: int(statistics.median(s[index].get(key, 0) for s in samples)) for key in keys}

    return statistics.median(s[0] for s in samples), per_key(1), per_key(2)


def report_imports(root: Path, home: Path, runs: int) -> None:
    env = mcp_peers.ours_env(home)
    total, ours, first_party = median_imports(["-m", "m2bridge", "mcp", "--root", str(root)], env, runs)
    echo_total, echo, _ = median_imports([str(mcp_peers.BENCH / "echo_server.py")], env, runs)
    print(
        f"  imports (python -X importtime, median of {runs}): ours {total:.3f} s, "
        f"sdk-echo {echo_total:.3f} s = {total / echo_total:.2f}x"
    )
    extra = sorted(((ours[p] - echo.get(p, 0), p) for p in ours), reverse=True)
    shown = ", ".join(f"{p} {us / 1000:.0f} ms" for us, p in extra[:10] if us >= 2000)
    print(f"  imported by ours beyond sdk-echo (self time per package): {shown}")
    slowest = sorted(first_party.items(), key=lambda item: -item[1])[:8]
    shown = ", ".join(f"{m} {us / 1000:.0f} ms" for m, us in slowest)
    print(f"  slowest of our modules (cumulative): {shown}")


async def main(quick: bool, imports: bool) -> None:
    runs = 2 if quick else 10
    with tempfile.TemporaryDirectory(prefix="m2b-start-") as tmp:
        repo, home = Path(tmp, "repo"), Path(tmp, "home")
        repo.mkdir()
        home.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        candidates = [
            mcp_peers.ours(repo, home),
            mcp_peers.ours(repo, home, script=True),
            mcp_peers.echo(),
            mcp_peers.git(repo),
            mcp_peers.minimax(home),
            mcp_peers.filesystem(repo),
        ]
        print(f"start-up: spawn to first list_tools answer ({runs} spawns each, medians)")
        servers = [s for s in candidates if s.available()]
        times: dict[str, list[float]] = {s.name: [] for s in servers}
        failures: dict[str, str] = {}
        tool_counts: dict[str, int] = {}
        strays: dict[str, int] = defaultdict(int)
        for attempt in range(runs + 1):  # the first round warms the disk cache and is not counted
            for server in servers:
                if server.name in failures:
                    continue
                before = stray_lines.count
                try:
                    elapsed, tool_counts[server.name] = await spawn_once(server)
                except ConnectFailed as err:
                    failures[server.name] = str(err)[:300]
                    continue
                finally:
                    strays[server.name] += stray_lines.count - before
                if attempt:
                    times[server.name].append(elapsed)
        medians = {name: median_seconds(values) for name, values in times.items() if values}
        for name, value in medians.items():
            print(f"  {name:<18} {value:6.3f} s  ({tool_counts[name]} tools)")
        for name, count in strays.items():
            if count:
                print(
                    f"  {name:<18} wrote {count} non-JSON line(s) to stdout over {runs + 1} starts "
                    "(the SDK client skipped them; a stricter client would fail)"
                )
        for name, why in failures.items():
            print(f"  {name:<18} failed to start over stdio: {why}")
        if "m2bridge" not in medians:
            raise SystemExit("our server did not start: nothing to compare")
        for peer in ("sdk-echo", "mcp-server-git", "minimax-mcp", "server-filesystem"):
            if peer in medians:
                goal = " (goal: at most 1.00)" if peer == "sdk-echo" else ""
                print(f"  ours/{peer:<18} {medians['m2bridge'] / medians[peer]:5.2f}x{goal}")
        if "m2bridge (script)" in medians and "sdk-echo" in medians:
            print(f"  script/sdk-echo         {medians['m2bridge (script)'] / medians['sdk-echo']:5.2f}x")
        if imports:
            report_imports(repo, home, 1 if quick else 5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    parser.add_argument("--no-imports", action="store_true", help="skip the importtime breakdown")
    options = parser.parse_args()
    anyio.run(main, options.quick, not options.no_imports)
