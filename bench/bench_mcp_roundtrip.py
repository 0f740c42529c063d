"""Tool-call round trip over stdio: the same small read through four MCP servers.

    python bench/bench_mcp_roundtrip.py [--quick]

Each server reads (or returns) about 1 KB through one SDK client session over stdio:
  m2bridge           `read_file` of small.txt (ours, `python -m m2bridge mcp --root TMP`);
  sdk-echo           bench/echo_server.py, a bare SDK server whose `echo` returns 1 KB: the floor;
  server-filesystem  @modelcontextprotocol/server-filesystem (Node), its read tool on the same file;
  mcp-server-git     `git_show` of `HEAD:small.txt` in the same temp repo, its nearest small read.
After a warm-up, calls alternate between the servers; prints each median in ms and ours as a ratio
against each peer (goal: within 5% of sdk-echo). Peers come from scripts/bench-peers; a missing one
is reported and skipped.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mcp_peers
from mcp_peers import ConnectFailed, Server, median_ms

WARMUP = 20
LINE = "def handler_{i:02d}(request, cache):  # small.txt: a line of source-like text\n"


def make_repo(folder: Path) -> str:
    text = "".join(LINE.format(i=i) for i in range(14))  # about 1 KB
    (folder / "small.txt").write_text(text)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "small.txt"], ["commit", "-q", "-m", "small"]):
        subprocess.run([*git, *args], cwd=folder, check=True)
    return text


async def fs_read_tool(client: Any) -> str:
    names = {tool.name for tool in (await client.list_tools()).tools}
    return "read_text_file" if "read_text_file" in names else "read_file"


async def main(quick: bool) -> None:
    calls = 20 if quick else 200
    with tempfile.TemporaryDirectory(prefix="m2b-rt-") as tmp:
        repo = Path(tmp, "repo")
        home = Path(tmp, "home")
        repo.mkdir()
        home.mkdir()
        text = make_repo(repo)
        small = str(repo / "small.txt")

        async def ours_call(_: Any) -> tuple[str, dict[str, Any]]:
            return "read_file", {"path": "small.txt"}

        async def echo_call(_: Any) -> tuple[str, dict[str, Any]]:
            return "echo", {"text": "x" * 64, "repeat": len(text) // 64}

        async def fs_call(client: Any) -> tuple[str, dict[str, Any]]:
            return await fs_read_tool(client), {"path": small}

        async def git_call(_: Any) -> tuple[str, dict[str, Any]]:
            return "git_show", {"repo_path": str(repo), "revision": "HEAD:small.txt"}

        servers: list[tuple[Server, Callable[[Any], Awaitable[tuple[str, dict[str, Any]]]]]] = [
            (mcp_peers.ours(repo, home), ours_call),
            (mcp_peers.echo(), echo_call),
            (mcp_peers.filesystem(repo), fs_call),
            (mcp_peers.git(repo), git_call),
        ]
        print(f"tool-call round trip over stdio (~{len(text)} bytes read, {calls} calls each, medians)")
        samples: dict[str, list[float]] = {}
        async with AsyncExitStack() as stack:
            live: list[tuple[str, Any, str, dict[str, Any]]] = []
            for server, call in servers:
                if not server.available():
                    continue
                assert server.params is not None
                try:
                    client = await stack.enter_async_context(mcp_peers.connect(server.params))
                    name, args = await call(client)
                    with anyio.fail_after(30):
                        result = await client.call_tool(name, args)
                except ConnectFailed as err:
                    print(f"  {server.name}: failed to start: {err}")
                    continue
                shown = " ".join(getattr(c, "text", "") for c in result.content)
                if result.is_error or (server.name != "sdk-echo" and "handler_13" not in shown):
                    print(f"  {server.name}: {name} failed, left out: {shown[:200]!r}")
                    continue
                live.append((server.name, client, name, args))
                samples[server.name] = []
            for _ in range(WARMUP):
                for _, client, name, args in live:
                    await client.call_tool(name, args)
            for _ in range(calls):
                for label, client, name, args in live:
                    with anyio.fail_after(30):
                        start = time.perf_counter()
                        await client.call_tool(name, args)
                        samples[label].append(time.perf_counter() - start)
        medians = {label: median_ms(values) for label, values in samples.items()}
        for label, value in medians.items():
            print(f"  {label:<23} {value:7.3f} ms")
        if "m2bridge" not in medians:
            raise SystemExit("our server did not answer: nothing to compare")
        for peer in ("sdk-echo", "server-filesystem", "mcp-server-git"):
            if peer in medians:
                goal = " (goal: at most 1.05)" if peer == "sdk-echo" else ""
                print(f"  ours/{peer:<18} {medians['m2bridge'] / medians[peer]:.2f}x{goal}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    anyio.run(main, parser.parse_args().quick)
