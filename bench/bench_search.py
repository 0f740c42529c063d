"""Repo search on a large tree: our `search` tool over MCP stdio vs running ripgrep directly.

    python bench/bench_search.py [--quick] [--files N]

Generates a deterministic tree of source-like files (50,000; --quick 5,000) in a temp git repo with a
.gitignore (rg honours it only inside a git repo, so both sides skip the same files), then times, warm
cache, alternating:
  ours          `search` (default options) through one MCP client session to `m2bridge mcp --root TREE`;
  rg -n         the plain `rg -n PATTERN` a user would run in the tree, all of its output read;
  rg, our flags the command line our tool runs (same binary, same flags), all of its output read.
Two patterns: a rare one (a few dozen hits, so walking and matching dominate) and a common one
(tens of thousands of hits: ours stops ripgrep at max_results=200, plain rg prints them all, so
this case is also timed against `rg -n PATTERN | head -n 200`).
Prints medians in seconds and ours as a ratio against each (goal: at most 1.2x plain rg).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mcp_peers
from mcp_peers import median_seconds

RARE = r"fn_rare_[0-9]+\("
COMMON = r"TODO\b"
_WORDS = (
    *("request", "cache", "value", "result", "handler", "config", "session", "token", "buffer"),
    *("stream", "index", "record", "parser", "client", "server", "window", "folder", "update"),
)


def make_tree(root: Path, files: int, seed: int = 7) -> None:
    """`files` files of 8-16 source-like lines under 3 folder levels, plus ignored files with matches."""
    rng = random.Random(seed)
    (root / ".gitignore").write_text("build/\n*.log\n")
    per_dir = 50
    for n in range(files):
        folder = root / f"pkg{n // (per_dir * 20):03d}" / f"mod{(n // per_dir) % 20:02d}"
        if n % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(rng.randint(8, 16)):
            a, b = rng.choice(_WORDS), rng.choice(_WORDS)
            if i % 5 == 0 and rng.random() < 0.5:
                lines.append(f"    # TODO: {a} the {b} before returning\n")
            else:
                lines.append(f"def {a}_{b}_{i}(self, {b}):\n    return self.{a}.get({b!r}, {i})\n")
        if n % 1000 == 0:
            lines.append(f"def fn_rare_{n}(x):\n    return x\n")
        (folder / f"file{n % per_dir:02d}.py").write_text("".join(lines))
    build = root / "build"
    build.mkdir()
    for n in range(min(files // 10, 2000)):  # ignored: a search that read these would find more
        (build / f"gen{n}.py").write_text(f"def fn_rare_{n}(x):  # TODO generated\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def run_rg(command: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
    return elapsed, done.stdout.count(b"\n")


def our_flags(rg: str, pattern: str) -> list[str]:
    """The command our tool runs for a default search of the whole root (mcp_tools/repo/search.py)."""
    try:
        from mcp_tools.repo.search import SearchArgs, _command

        return [*_command(rg, SearchArgs(pattern=pattern)), "."]
    except Exception:  # the tool's internals moved: measure plain rg only
        return []


async def main(quick: bool, files: int | None) -> None:
    files = files or (5_000 if quick else 50_000)
    runs = 3 if quick else 10
    rg = mcp_peers.rg_binary()
    if rg is None:
        raise SystemExit("rg is not installed: pip install --only-binary :all: ripgrep==14.1.0")
    with tempfile.TemporaryDirectory(prefix="m2b-search-") as tmp:
        tree, home = Path(tmp, "tree"), Path(tmp, "home")
        tree.mkdir()
        home.mkdir()
        start = time.perf_counter()
        make_tree(tree, files)
        made = time.perf_counter() - start
        print(f"repo search ({files:,} files, generated in {made:.1f} s; {runs} runs, medians)")
        server = mcp_peers.ours(tree, home)
        assert server.params is not None
        async with mcp_peers.connect(server.params, timeout=120) as client:
            for label, pattern in (("rare", RARE), ("common", COMMON)):
                peers = {"rg -n": [rg, "-n", pattern], "rg, our flags": our_flags(rg, pattern)}
                if label == "common":  # the same amount of output as ours: a user's `| head -200`
                    peers["rg -n | head"] = ["sh", "-c", 'exec "$0" -n "$1" | head -n 200', rg, pattern]
                peers = {name: command for name, command in peers.items() if command}
                times: dict[str, list[float]] = {"ours": [], **{name: [] for name in peers}}
                lines: dict[str, int] = {}
                for attempt in range(runs + 1):  # the first round warms the cache and is not counted
                    began = time.perf_counter()
                    result = await client.call_tool("search", {"pattern": pattern})
                    elapsed = time.perf_counter() - began
                    text = " ".join(getattr(c, "text", "") for c in result.content)
                    if result.is_error:
                        raise SystemExit(f"search failed: {text[:300]}")
                    if attempt:
                        times["ours"].append(elapsed)
                    lines["ours"] = text.count("\n")
                    for name, command in peers.items():
                        elapsed, lines[name] = run_rg(command, tree)
                        if attempt:
                            times[name].append(elapsed)
                medians = {name: median_seconds(values) for name, values in times.items()}
                print(f"  {label} pattern {pattern!r}: plain rg prints {lines['rg -n']:,} lines")
                for name, value in medians.items():
                    print(f"    {name:<19} {value:7.3f} s  ({lines[name]:,} lines of output)")
                goal_peer = "rg -n" if label == "rare" else "rg -n | head"
                for name in peers:
                    goal = " (goal: at most 1.20)" if name == goal_peer else ""
                    print(f"    ours/{name:<14} {medians['ours'] / medians[name]:5.2f}x{goal}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    parser.add_argument("--files", type=int, default=None, help="tree size (default 50,000; quick 5,000)")
    options = parser.parse_args()
    anyio.run(main, options.quick, options.files)
