"""Media jobs: a video that is ready at the third poll, one job and ten at once, ours vs `minimax-mcp`.

    .venv/bin/python bench/bench_media.py [--quick] [--limit SECONDS]

The test suite's fake media API (tests/fakes/media) runs in this process on 127.0.0.1 with every video
task ready at its third status poll. Both servers are stdio children pointed at it with the same key and
`MINIMAX_API_RESOURCE_MODE=local`, and get `generate_video` in synchronous mode (async_mode false: the
call submits the task, polls until it is ready, then fetches and saves the video). Timed: call to result,
for one job and for ten at once (ten concurrent call_tool on one client session). Ours runs with its
default poll timing; `minimax-mcp` (bench/.peers, installed by scripts/bench-peers) sleeps 20 s between
polls. A call counts only if it succeeded honestly (the official server returns failures as ordinary text,
so its text is read too) and saved a new video.

Full mode: ours over 3 rounds (medians), the peer once (one job about 40 s; ten at once up to --limit,
15 minutes by default, after which the peer's figure is "> limit"). --quick (CI's smoke run): ours once,
the peer skipped. Goals from the design: one job in under 5 s; ten in about the time of one.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mcp_peers
from media_peers import KEY, Side, fake_media_class, files_under, official, ours, text_of

POLLS = 3
FAILURE_TEXT = re.compile(r"^(Failed|Unexpected error|Video generation FAILED)|API Error")


class JobsFailed(Exception):
    pass


async def jobs(
    client: mcp_peers.Client, side: Side, fake: Any, n: int, tag: str, limit: float
) -> float | None:
    """Wall time for n synchronous generate_video calls at once; None when the limit ran out."""
    before = files_under(side.out)
    problems: list[str] = []

    async def one(i: int) -> None:
        result = await client.call_tool(
            "generate_video", {"prompt": f"waves {tag} {i}", "async_mode": False}, read_timeout_seconds=limit
        )
        text = text_of(result)
        if result.is_error or FAILURE_TEXT.search(text):
            problems.append(text[:200])

    start = time.perf_counter()
    with anyio.move_on_after(limit) as scope:
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(one, i)
    elapsed = time.perf_counter() - start
    if scope.cancelled_caught:
        return None
    saved = len(files_under(side.out) - before)
    if problems or saved != n:
        example = problems[0] if problems else "no error reported"
        raise JobsFailed(
            f"{side.name}: {len(problems)} of {n} calls failed, {saved} videos saved ({example})"
        )
    return elapsed


def polls_since(fake: Any, start: int) -> int:
    return sum(1 for r in fake.requests[start:] if r.path == "/v1/query/video_generation")


async def measure(
    side: Side, fake: Any, counts: tuple[int, ...], rounds: int, limit: float
) -> tuple[dict[int, float | None], dict[int, float]]:
    """Median wall time per count (None: over the limit) and polls per job."""
    assert side.server.params is not None
    times: dict[int, list[float]] = {n: [] for n in counts}
    over: set[int] = set()
    polls: dict[int, float] = {}
    async with mcp_peers.connect(side.server.params, timeout=limit + 60) as client:
        await client.call_tool("list_voices", {})  # warm-up: the first media call's imports and connections
        for round_no in range(rounds):
            for n in counts:
                if n in over:
                    continue
                mark = len(fake.requests)
                elapsed = await jobs(client, side, fake, n, f"r{round_no}n{n}", limit)
                if elapsed is None:
                    over.add(n)
                    continue
                times[n].append(elapsed)
                polls[n] = polls_since(fake, mark) / n
    medians: dict[int, float | None] = {n: statistics.median(times[n]) if times[n] else None for n in counts}
    return medians, polls


def shown(value: float | None, limit: float) -> str:
    return f"{value:7.2f} s" if value is not None else f"> {limit:.0f} s (limit)"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a (over the limit)"
    return f"{a / b:.3f}x"


async def main(quick: bool, limit: float) -> None:
    rounds = 1 if quick else 3
    limit = min(limit, 120.0) if quick else limit
    fake = fake_media_class()(api_key=KEY)
    with fake, tempfile.TemporaryDirectory(prefix="m2b-media-") as tmp:
        fake.video_polls = POLLS
        base = Path(tmp)
        root, home, theirs_dir = base / "root", base / "home", base / "official"
        for folder in (root, home, theirs_dir):
            folder.mkdir()
        mine = ours(fake.host, root, home)
        ours_times, ours_polls = await measure(mine, fake, (1, 10), rounds, limit)
        peer_times: dict[int, float | None] = {}
        peer_polls: dict[int, float] = {}
        peer_note = ""
        if quick:
            peer_note = "peer skipped in quick mode (one minimax-mcp job takes about 40 s)"
        else:
            theirs = official(fake.host, theirs_dir)
            if theirs.server.available():
                peer_times, peer_polls = await measure(theirs, fake, (1, 10), 1, limit)
            else:
                peer_note = "peer minimax-mcp is not installed (scripts/bench-peers)"
    how = "ours once" if quick else f"ours median of {rounds} rounds, minimax-mcp once"
    print(f"media jobs: synchronous generate_video, each video ready at poll {POLLS} of a local fake ({how})")
    for label, n in (("1 job", 1), ("10 at once", 10)):
        polls = f"  ({ours_polls[n]:.1f} polls per job)" if n in ours_polls else ""
        print(f"  ours        {label:<11} {shown(ours_times[n], limit)}{polls}")
    if peer_note:
        print(f"  {peer_note}")
    else:
        for label, n in (("1 job", 1), ("10 at once", 10)):
            polls = f"  ({peer_polls[n]:.1f} polls per job)" if n in peer_polls else ""
            print(f"  minimax-mcp {label:<11} {shown(peer_times.get(n), limit)}{polls}")
        print(f"  ours/minimax-mcp, 1 job       {ratio(ours_times[1], peer_times.get(1))}")
        print(f"  ours/minimax-mcp, 10 at once  {ratio(ours_times[10], peer_times.get(10))}")
        peer_one, peer_ten = peer_times.get(1), peer_times.get(10)
        if peer_one is not None and peer_ten is not None:
            print(f"  minimax-mcp 10 at once / 1 job {peer_ten / peer_one:.2f}")
    one, ten = ours_times[1], ours_times[10]
    if one is not None and ten is not None:
        print(f"  ours 10 at once / 1 job       {ten / one:.2f}  (goal: about 1)")
        print(f"  ours 1 job under 5 s          {'yes' if one < 5 else 'NO'}  (goal)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="ours only, a few seconds, for CI's smoke run")
    parser.add_argument("--limit", type=float, default=900.0, help="give up on a measurement after this")
    options = parser.parse_args()
    anyio.run(main, options.quick, options.limit)
