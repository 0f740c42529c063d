"""Parallel `m2_task`: N agents at once through one MCP session, against an M2 with fixed latency.

    python bench/bench_m2_task.py [--quick]

A fake MiniMax API (the test suite's, in its own process: bench/fake_m2_latency.py) answers every model
request after a fixed latency (0.5 s; --quick 0.2 s) with a final reply and no tool calls, so each task is
one model request. One `m2bridge mcp --max-tasks 16` server over stdio gets N = 1, 4, 16 `m2_task` calls
at once (concurrent call_tool on one client session). The peer, measured in the same run, is the floor:
N concurrent streamed requests sent straight to the same fake with httpx. Prints the median wall time per
N (over a few rounds), wall(N)/wall(1) (goal: nearly flat) and ours/peer at each N.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mcp_peers
from mcp_peers import median_seconds

from m2bridge.config import load_settings


async def ours_round(client: mcp_peers.Client, n: int, round_no: int) -> float:
    failures: list[str] = []

    async def one(i: int) -> None:
        result = await client.call_tool("m2_task", {"task": f"round {round_no} task {i}: say done"})
        text = " ".join(getattr(c, "text", "") for c in result.content)
        try:
            ok = not result.is_error and json.loads(text)["text"] == "done"
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            failures.append(text[:300])

    start = time.perf_counter()
    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(one, i)
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} of {n} m2_task calls failed, e.g. {failures[0]}")
    return elapsed


async def peer_round(http: httpx.AsyncClient, url: str, n: int) -> float:
    body = {
        "model": "MiniMax-M2",
        "max_tokens": 1000,
        "stream": True,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "say done"}]}],
    }

    async def one() -> None:
        async with http.stream("POST", url, json=body, headers={"x-api-key": "k"}) as response:
            response.raise_for_status()
            async for _ in response.aiter_lines():
                pass

    start = time.perf_counter()
    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for _ in range(n):
                group.start_soon(one)
    return time.perf_counter() - start


async def main(quick: bool) -> None:
    latency = 0.2 if quick else 0.5
    counts = (1, 4) if quick else (1, 4, 16)
    rounds = 1 if quick else 5
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fake_m2_latency.py")), str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    try:
        host = fake.stdout.readline().strip()
        if not host.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the fake M2 did not start (printed {host!r})")
        env = {"MINIMAX_API_KEY": "k", "MINIMAX_API_HOST": host}
        endpoint = load_settings({**env, "M2BRIDGE_CONFIG": "/nonexistent"}).endpoint
        ours: dict[int, list[float]] = {n: [] for n in counts}
        peer: dict[int, list[float]] = {n: [] for n in counts}
        with tempfile.TemporaryDirectory(prefix="m2b-task-") as tmp:
            root, home = Path(tmp, "root"), Path(tmp, "home")
            root.mkdir()
            home.mkdir()
            server = mcp_peers.ours(root, home, "--max-tasks", "16", env=env)
            assert server.params is not None
            async with (
                mcp_peers.connect(server.params, timeout=120) as client,
                httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=32)) as http,
            ):
                await ours_round(client, 1, 0)  # warm both paths (imports, store, connections)
                await peer_round(http, endpoint, 1)
                for round_no in range(1, rounds + 1):
                    for n in counts:
                        ours[n].append(await ours_round(client, n, round_no))
                        peer[n].append(await peer_round(http, endpoint, n))
    finally:
        fake.stdin.close()
        served = fake.stdout.read().strip()
        fake.wait(timeout=30)
    expected = 1 + rounds * sum(counts)
    print(
        f"parallel m2_task (fake M2 latency {latency:.1f} s per request, {rounds} rounds, medians; "
        f"{served} of {expected * 2} requests served)"
    )
    base = median_seconds(ours[1])
    for n in counts:
        wall, floor = median_seconds(ours[n]), median_seconds(peer[n])
        print(
            f"  N={n:<3} ours {wall:6.3f} s  wall(N)/wall(1) {wall / base:5.2f}  "
            f"raw httpx {floor:6.3f} s  ours/raw {wall / floor:5.2f}x"
        )
    print("  goal: wall(N)/wall(1) close to 1.0")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    anyio.run(main, parser.parse_args().quick)
