"""Benchmark the session store against two simple stores a project might write instead.

    python bench/bench_store.py [--quick] [--dir DIR]

Peers, both as durable as ours (fsync before an append returns):
  json-rewrite  the whole session as one JSON list, rewritten (temp file, fsync, rename) on every append;
  jsonl         one JSON line per turn: open, append, fsync, close.

Measures the cost of appending one turn to a session of 10 turns and of 5,000 (median of several
appends at each point; each point starts from a fresh file pre-written at that size), and the time to
load (read and validate) a 5,000-turn session. Every figure is also given as a ratio against the
peers measured in the same run, since absolute times depend on the disk. `--quick` is a smoke test
with small sizes. Run it on a real disk: on tmpfs fsync costs nothing and the comparison is moot.

A durable append costs one fsync, whatever the disk charges for it (from under 0.5 ms on a fast SSD to
several ms on a virtual disk), so one more column, `ours-no-fsync` (the same store with
`synchronous=OFF`, never used for real), shows what the store's own work per append costs: the head and
lease checks, the insert and its index, the session row's update, the commit. That part is what must
stay flat as the session grows; the fsync is the disk's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from pydantic import TypeAdapter

from m2bridge.messages import (
    AssistantTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    Turn,
    TurnAdapter,
    Usage,
)
from m2bridge.sessions import SessionStore

__all__ = ["JsonRewriteStore", "JsonlStore", "main", "make_turns"]

WARMUP = 3  # appends before timing starts, counted in the session size

TurnListAdapter: TypeAdapter[list[Turn]] = TypeAdapter(list[Turn])

_VOCABULARY = (
    "the function returns None when the cache is cold so the caller must check before it uses "
    "the value; let me read the test first and then decide whether to patch the caller or the "
    "cache itself 漢字 ü — maybe <think> tags appear literally in the file too"
)
_WORDS = _VOCABULARY.split()


def _prose(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def make_turns(count: int, seed: int = 0) -> list[Turn]:
    """Alternating assistant turns (~2 KB of thinking and a tool call) and tool results (~1 KB)."""
    rng = random.Random(seed)
    turns: list[Turn] = []
    for i in range(count):
        if i % 2 == 0:
            thinking = _prose(rng, 2000)
            call = ToolCall(id=f"call_{i}", name="read_file", arguments={"path": f"src/module_{i}.py"})
            turns.append(
                AssistantTurn(
                    protocol="anthropic",
                    model="MiniMax-M2",
                    blocks=[
                        ThinkingBlock(text=thinking, signature="sig"),
                        TextBlock(text="Reading it."),
                        call,
                    ],
                    provider_message={
                        "role": "assistant",
                        "content": [
                            {"type": "thinking", "thinking": thinking, "signature": "sig"},
                            {"type": "text", "text": "Reading it."},
                            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments},
                        ],
                    },
                    stop_reason="tool_use",
                    usage=Usage(input_tokens=10_000 + i, output_tokens=600),
                )
            )
        else:
            turns.append(
                ToolResultsTurn(
                    results=[
                        ToolResult(tool_call_id=f"call_{i - 1}", name="read_file", content=_prose(rng, 1000))
                    ]
                )
            )
    return turns


class JsonRewriteStore:
    """One session as a JSON list in one file, rewritten in full (atomically, durably) on every append."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.turns: list[Turn] = []

    def prefill(self, turns: list[Turn]) -> None:
        self.turns = list(turns)
        self._write()

    def append(self, turn: Turn) -> None:
        self.turns.append(turn)
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(TurnListAdapter.dump_json(self.turns))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def load(self) -> list[Turn]:
        return TurnListAdapter.validate_json(self.path.read_bytes())


class JsonlStore:
    """One session as JSON lines: each append opens the file, adds a line, fsyncs and closes it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def prefill(self, turns: list[Turn]) -> None:
        with open(self.path, "wb") as f:
            f.writelines(TurnAdapter.dump_json(t) + b"\n" for t in turns)
            f.flush()
            os.fsync(f.fileno())

    def append(self, turn: Turn) -> None:
        with open(self.path, "ab") as f:
            f.write(TurnAdapter.dump_json(turn) + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def load(self) -> list[Turn]:
        with open(self.path, "rb") as f:
            return [TurnAdapter.validate_json(line) for line in f]


class OursAdapter:
    """SessionStore behind the same three calls (one session per file, like the peers)."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.store = SessionStore(path)
        if not fsync:  # for the bench only: what the store costs besides the disk's fsync
            self.store._connection().execute("PRAGMA synchronous = OFF")
        self.session = self.store.create(workspace="/bench", protocol="anthropic", model="MiniMax-M2").id
        self.head = 0

    def prefill(self, turns: list[Turn]) -> None:
        for start in range(0, len(turns), 250):  # a few big transactions, not thousands of fsyncs
            self.head = self.store.append(self.session, turns[start : start + 250], expected_head=self.head)

    def append(self, turn: Turn) -> None:
        self.head = self.store.append(self.session, [turn], expected_head=self.head)

    def load(self) -> list[Turn]:
        return [t.turn for t in self.store.load(self.session).turns]

    def close(self) -> None:
        self.store.close()


Store = OursAdapter | JsonRewriteStore | JsonlStore

PEERS: dict[str, Callable[[Path], Store]] = {
    "ours": lambda d: OursAdapter(d / "sessions.db"),
    "ours-no-fsync": lambda d: OursAdapter(d / "sessions.db", fsync=False),
    "json-rewrite": lambda d: JsonRewriteStore(d / "session.json"),
    "jsonl": lambda d: JsonlStore(d / "session.jsonl"),
}


def _fresh(root: Path, name: str, size: int) -> Path:
    folder = root / f"{name}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def _prepared(root: Path, size: int, pool: list[Turn]) -> dict[str, Store]:
    """Every store on a fresh file holding `size` turns (the last few appended one by one, untimed,
    to warm caches and code paths)."""
    stores: dict[str, Store] = {}
    for name, make in PEERS.items():
        store = make(_fresh(root, name, size))
        store.prefill(pool[: max(0, size - WARMUP)])
        for turn in pool[max(0, size - WARMUP) : size]:
            store.append(turn)
        stores[name] = store
    return stores


def _close(stores: dict[str, Store]) -> None:
    for store in stores.values():
        if isinstance(store, OursAdapter):
            store.close()


def measure_append(root: Path, size: int, pool: list[Turn], reps: int) -> dict[str, list[float]]:
    """Seconds per single-turn append into a session of `size` turns, `reps` times per store.

    The stores take turns, append by append, so drift in the machine's load hits them all alike."""
    stores = _prepared(root, size, pool)
    times: dict[str, list[float]] = {name: [] for name in stores}
    for turn in pool[size : size + reps]:
        for name, store in stores.items():
            start = time.perf_counter()
            store.append(turn)
            times[name].append(time.perf_counter() - start)
    _close(stores)
    return times


def measure_load(root: Path, size: int, pool: list[Turn], reps: int) -> dict[str, float]:
    """Median seconds to read and validate a `size`-turn session, per store (interleaved too)."""
    stores = _prepared(root, size, pool)
    times: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(reps):
        for name, store in stores.items():
            start = time.perf_counter()
            loaded = store.load()
            times[name].append(time.perf_counter() - start)
            assert len(loaded) == size
    _close(stores)
    return {name: statistics.median(t) for name, t in times.items()}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _ratio(value: float) -> str:
    return f"{value:.3g}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds (CI smoke test)")
    parser.add_argument("--dir", type=Path, help="where to write the files (default: a temporary folder)")
    args = parser.parse_args(argv)

    sizes = [10, 300] if args.quick else [10, 500, 2000, 5000]
    reps = 5 if args.quick else 21
    load_reps = 2 if args.quick else 5
    small, big = sizes[0], sizes[-1]
    pool = make_turns(big + reps)
    turn_bytes = [len(TurnAdapter.dump_json(t)) for t in pool[:2]]

    root = Path(tempfile.mkdtemp(prefix="m2bridge-bench-", dir=args.dir))
    try:
        mode = " (quick)" if args.quick else ""
        print(f"session store benchmark{mode}: {root}, SQLite {sqlite3.sqlite_version}")
        print(f"turns: assistant {turn_bytes[0]} B, tool results {turn_bytes[1]} B (JSON), alternating\n")

        medians: dict[str, dict[int, float]] = {name: {} for name in PEERS}
        p90s: dict[str, dict[int, float]] = {name: {} for name in PEERS}
        for size in sizes:
            for name, times in measure_append(root, size, pool, reps).items():
                times.sort()
                medians[name][size] = statistics.median(times)
                p90s[name][size] = times[min(len(times) - 1, int(len(times) * 0.9))]
        loads = measure_load(root, big, pool, load_reps)

        width = 14
        print(f"append one turn, ms (median / p90 of {reps}), by turns already stored:")
        print("  " + "stored".ljust(8) + "".join(name.rjust(width + 8) for name in PEERS))
        for size in sizes:
            cells = "".join(
                f"{_ms(medians[name][size])} / {_ms(p90s[name][size])}".rjust(width + 8) for name in PEERS
            )
            print("  " + str(size).ljust(8) + cells)
        print(f"load {big} turns, ms (median of {load_reps}):")
        print("  " + "".ljust(8) + "".join(_ms(loads[name]).rjust(width + 8) for name in PEERS))
        print()

        growth = ", ".join(f"{name} {_ratio(medians[name][big] / medians[name][small])}" for name in PEERS)
        print(f"append@{big} / append@{small}: {growth}")
        others = [name for name in PEERS if not name.startswith("ours")]
        for label, figures in (
            (f"append@{small}", {n: medians[n][small] for n in PEERS}),
            (f"append@{big}", {n: medians[n][big] for n in PEERS}),
            (f"load {big} turns", loads),
        ):
            against = ", ".join(f"{_ratio(figures['ours'] / figures[n])} {n}" for n in others)
            print(f"{label}: ours {_ms(figures['ours'])} ms = {against}")
        own = medians["ours-no-fsync"]
        print(
            f"the store's own work per append (no fsync): {_ms(own[small])} ms at {small} turns, "
            f"{_ms(own[big])} ms at {big} ({_ratio(own[big] / own[small])})"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
