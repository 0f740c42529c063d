"""Streaming relay: time to first token and throughput through the engine vs raw httpx.

Both read the same local SSE stream from the test suite's fake MiniMax API (Anthropic protocol),
alternating runs; the peer parses each event's JSON and takes the delta text, as the least a
client must do. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.config import load_settings
from m2bridge.messages import UserTurn


async def through_engine(client: ModelClient, prompt: str = "go") -> tuple[float, float, int]:
    start = time.perf_counter()
    first = 0.0
    chars = 0
    exchange = client.exchange(ModelRequest(system="", turns=[UserTurn(text=prompt)]))
    # As the agent loop reads it: one batch of events per network read.
    async for batch in exchange.batches():
        for event in batch:
            if isinstance(event, (TextDelta, ThinkingDelta)):
                if not first:
                    first = time.perf_counter() - start
                chars += len(event.text)
    return first, time.perf_counter() - start, chars


async def direct(http: httpx.AsyncClient, url: str, prompt: str = "go") -> tuple[float, float, int]:
    body = {
        "model": "MiniMax-M2",
        "max_tokens": 1000,
        "stream": True,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
    }
    start = time.perf_counter()
    first = 0.0
    chars = 0
    async with http.stream("POST", url, json=body, headers={"x-api-key": "k"}) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            delta = json.loads(line[5:]).get("delta") or {}
            piece = delta.get("text") or delta.get("thinking") or ""
            if piece:
                if not first:
                    first = time.perf_counter() - start
                chars += len(piece)
    return first, time.perf_counter() - start, chars


async def main(quick: bool) -> None:
    size = 20_000 if quick else 400_000
    runs = 3 if quick else 15
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fake_server.py")), str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    host = server.stdout.readline().strip()
    settings = load_settings(
        {"MINIMAX_API_HOST": host, "MINIMAX_API_KEY": "k", "M2BRIDGE_CONFIG": "/nonexistent"}
    )
    ours: list[tuple[float, float, int]] = []
    peer: list[tuple[float, float, int]] = []
    first_ours: list[float] = []
    first_peer: list[float] = []
    async with ModelClient(settings) as client, httpx.AsyncClient(timeout=60) as http:
        await through_engine(client)  # warm both paths
        await direct(http, settings.endpoint)
        for _ in range(runs):
            ours.append(await through_engine(client))
            peer.append(await direct(http, settings.endpoint))
        for _ in range(runs * 4):
            first_ours.append((await through_engine(client, "small"))[0])
            first_peer.append((await direct(http, settings.endpoint, "small"))[0])
    server.stdin.close()
    if server.wait(timeout=30) != 0:
        raise SystemExit("the fake server saw history violations")

    def med(rows: list[tuple[float, float, int]], i: int) -> float:
        return statistics.median(r[i] for r in rows)

    ttft_ours, ttft_peer = statistics.median(first_ours) * 1000, statistics.median(first_peer) * 1000
    tput_ours = ours[0][2] / med(ours, 1) / 1e6
    tput_peer = peer[0][2] / med(peer, 1) / 1e6
    print(f"streaming relay ({ours[0][2]:,} chars of thinking+text, {runs} runs, medians)")
    print(
        f"  first token: engine {ttft_ours:.2f} ms, raw httpx {ttft_peer:.2f} ms, "
        f"added {ttft_ours - ttft_peer:+.2f} ms"
    )
    print(
        f"  throughput:  engine {tput_ours:.2f} Mchar/s, raw httpx {tput_peer:.2f} Mchar/s "
        f"= {tput_ours / tput_peer:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    asyncio.run(main(parser.parse_args().quick))
