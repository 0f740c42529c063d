"""Benchmark the session store on its two backends, SQLite and PostgreSQL, in the same run.

    python bench/bench_store_backends.py [--quick] [--dir DIR]

The same workload on both, each as a user would have it: SQLite is a file on the disk under DIR (the
temp folder by default: run it on a real disk, not tmpfs, where fsync costs nothing); PostgreSQL 15 is
a server this bench starts in a temporary cluster under DIR (fsync on, synchronous_commit on), reached
over TCP on 127.0.0.1 as an ordinary role (row-level security on), and stopped at the end, even on an
error or a signal. Without the server's binaries (or psycopg) the PostgreSQL column is skipped with the
reason. Run as root, the server runs as the `postgres` user, which must be able to reach DIR.

  append @N       one durable append of one turn, with the turn's lease as the agent appends, through
                  the store's own (synchronous) API into a session of N turns: median and p90. The
                  backends take turns append by append, so drift in the machine's load hits both alike.
                  Goal: flat, append @5000 / append @10 at most 1.2 on each backend.
  16 writers      16 tasks on one event loop, each appending to a session of its own through
                  `AsyncSessionStore` (as the engine's agents do: one store per process, the database
                  work in worker threads): total appends per second and each append's latency as its
                  caller waits for it. Against one writer alone on the same face: how much the backend
                  lets concurrent writers share (SQLite's group commit, PostgreSQL's pool of connections).
  load 5000       read and validate a 5,000-turn session: median.
  bare insert     the floor under an append: the driver alone (sqlite3, psycopg) inserting the same
                  bytes as one row and committing durably, on the same file system or server. What an
                  append costs above it is the store's own work (head and lease checks, the
                  session row, for PostgreSQL the pool's connection check and a few more round trips).

Sessions are built with batched appends (250 turns per transaction), so set-up takes seconds. Turns
alternate an assistant turn (~2 KB of thinking and a tool call) and tool results (~1 KB), as in
bench_store.py. Each figure is printed for both backends side by side with their ratio (PG/SQLite), since
absolute times depend on the disk. `--quick` is a smoke test with small sizes; a missed goal is
reported, never an exit status.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import make_turns
from pg_server import running_postgres, why_no_postgres

from m2bridge.messages import Turn, TurnAdapter
from m2bridge.sessions import Lease, Store, open_store_at
from m2bridge.sessions.async_store import AsyncSessionStore

__all__ = ["Figures", "main"]

WARMUP = 3  # appends before timing starts, counted in the session size
BATCH = 250  # turns per transaction when building a session
WRITERS = 16
LEASE_TTL = 600.0  # longer than any run: a lease never expires mid-bench
SQLITE, POSTGRES = "SQLite", "PostgreSQL"


@dataclass
class Figures:
    """What one backend measured, in seconds."""

    appends: dict[int, list[float]] = field(default_factory=dict[int, list[float]])
    loads: list[float] = field(default_factory=list[float])
    floor: list[float] = field(default_factory=list[float])
    alone_wall: float = 0.0
    alone_count: int = 0
    many_wall: float = 0.0
    many_latencies: list[float] = field(default_factory=list[float])


Backends = dict[str, Store]  # by name: SQLITE, POSTGRES
Results = dict[str, Figures]


@dataclass
class _Session:
    """A session being appended to with its lease, as a turn does."""

    store: Store
    id: str
    lease: Lease
    head: int = 0

    @classmethod
    def create(cls, store: Store, owner: str) -> _Session:
        info = store.create(workspace="/bench", protocol="anthropic", model="MiniMax-M2")
        return cls(store, info.id, store.acquire(info.id, owner, ttl=LEASE_TTL))

    def fill(self, turns: list[Turn]) -> None:
        """Batched: a few big transactions, not thousands of commits."""
        for start in range(0, len(turns), BATCH):
            self.append(turns[start : start + BATCH])

    def append(self, turns: list[Turn]) -> None:
        self.head = self.store.append(self.id, turns, expected_head=self.head, lease=self.lease)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


# -- the measurements ---------------------------------------------------------------------------


def measure_appends(stores: Backends, out: Results, sizes: list[int], pool: list[Turn], reps: int) -> None:
    """Seconds per single-turn append into a session of each size, `reps` per backend and size."""
    sessions: dict[tuple[str, int], _Session] = {}
    for name, store in stores.items():
        for size in sizes:
            session = _Session.create(store, "bench-append")
            session.fill(pool[: max(0, size - WARMUP)])
            for turn in pool[max(0, size - WARMUP) : size]:  # warm caches and code paths, untimed
                session.append([turn])
            sessions[name, size] = session
    for _ in range(reps):
        for size in sizes:
            for name in stores:
                session = sessions[name, size]
                turn = pool[session.head]
                start = time.perf_counter()
                session.append([turn])
                out[name].appends.setdefault(size, []).append(time.perf_counter() - start)
    for session in sessions.values():
        session.lease.release()


class SqliteFloor:
    """One-row durable inserts with sqlite3 alone: WAL and synchronous=FULL, as the store."""

    def __init__(self, folder: Path) -> None:
        self.conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")  # durable once COMMIT returns
        self.conn.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")

    def insert(self, payload: bytes) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO floor (payload) VALUES (?)", (payload.decode(),))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class PostgresFloor:
    """One-row durable inserts with psycopg alone: one statement, one commit, one round trip."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("SET synchronous_commit = on")
        self.conn.execute("CREATE TABLE public.floor (id bigserial PRIMARY KEY, payload bytea NOT NULL)")

    def insert(self, payload: bytes) -> None:
        self.conn.execute("INSERT INTO public.floor (payload) VALUES (%s)", (payload,))

    def close(self) -> None:
        self.conn.close()


Floor = SqliteFloor | PostgresFloor


def measure_floor(floors: dict[str, Floor], out: Results, pool: list[Turn], reps: int) -> None:
    """Seconds per bare durable one-row insert of a turn's bytes, `reps` per backend, interleaved."""
    payloads = [TurnAdapter.dump_json(turn) for turn in pool[: reps + WARMUP]]
    for index, payload in enumerate(payloads):
        for name, floor in floors.items():
            start = time.perf_counter()
            floor.insert(payload)
            if index >= WARMUP:
                out[name].floor.append(time.perf_counter() - start)


def measure_load(stores: Backends, out: Results, size: int, pool: list[Turn], reps: int) -> None:
    """Seconds to read and validate a `size`-turn session, `reps` per backend, interleaved."""
    ids: dict[str, str] = {}
    for name, store in stores.items():
        session = _Session.create(store, "bench-load")
        session.fill(pool[:size])
        session.lease.release()
        ids[name] = session.id
    for _ in range(reps):
        for name, store in stores.items():
            start = time.perf_counter()
            loaded = store.load(ids[name])
            out[name].loads.append(time.perf_counter() - start)
            assert len(loaded.turns) == size, f"{name} loaded {len(loaded.turns)} turns, not {size}"


async def _write(
    face: AsyncSessionStore, writers: int, appends: int, pool: list[Turn]
) -> tuple[float, list[float]]:
    """`writers` tasks at once, each appending `appends` turns one by one to a session of its own.
    Returns the wall time from the first append to the last and every append's latency."""
    sessions = [
        await face.create(workspace="/bench", protocol="anthropic", model="MiniMax-M2")
        for _ in range(writers)
    ]
    leases = [await face.acquire(s.id, f"bench-writer-{i}", ttl=LEASE_TTL) for i, s in enumerate(sessions)]
    latencies: list[float] = []

    async def writer(index: int) -> None:
        head = 0
        for turn in pool[:appends]:
            start = time.perf_counter()
            head = await face.append(sessions[index].id, [turn], expected_head=head, lease=leases[index])
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index in range(writers):
            group.start_soon(writer, index)
    wall = time.perf_counter() - start
    for lease in leases:
        await lease.release()
    return wall, latencies


def measure_writers(stores: Backends, out: Results, appends: int, rounds: int, pool: list[Turn]) -> None:
    """One writer alone, then WRITERS at once, per backend; `rounds` rounds, the backends' order
    swapped each round so neither always runs first. An untimed round first: PostgreSQL's pool opens
    its connections as they are first wanted, a cost paid once per process, not per append."""
    for store in stores.values():
        anyio.run(_write, AsyncSessionStore(store), WRITERS, 2, pool)
    for round_ in range(rounds):
        order = list(stores) if round_ % 2 == 0 else list(reversed(stores))
        for name in order:
            face = AsyncSessionStore(stores[name])
            figures = out[name]
            wall, _ = anyio.run(_write, face, 1, appends, pool)
            figures.alone_wall += wall
            figures.alone_count += appends
            wall, latencies = anyio.run(_write, face, WRITERS, appends, pool)
            figures.many_wall += wall
            figures.many_latencies.extend(latencies)


# -- the report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _ratio(value: float) -> str:
    return f"{value:.3g}x"


def _filesystem(path: Path) -> str:
    """The type of the filesystem holding `path` (Linux: from /proc/mounts), or "?"."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "?"
    best, kind = "", "?"
    target = str(path.resolve())
    for fields in mounts:
        point = fields[1]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def _report(out: Results, sizes: list[int], reps: int, load_size: int, appends: int, rounds: int) -> None:
    names = list(out)
    both = len(names) == 2
    label_width, cell = 34, 20
    header = "".ljust(label_width) + "".join(n.rjust(cell) for n in names)
    print(header + ("PG/SQLite".rjust(12) if both else ""))

    def row(label: str, cells: dict[str, str], ratio: float | None) -> None:
        line = label.ljust(label_width) + "".join(cells[n].rjust(cell) for n in names)
        if both and ratio is not None:
            line += _ratio(ratio).rjust(12)
        print(line)

    def ratio_of(values: dict[str, float]) -> float | None:
        return values[POSTGRES] / values[SQLITE] if both else None

    small, big = sizes[0], sizes[-1]
    medians = {n: {s: statistics.median(out[n].appends[s]) for s in sizes} for n in names}
    for size in sizes:
        times = {n: out[n].appends[size] for n in names}
        row(
            f"append @{size}, ms (median / p90)",
            {n: f"{_ms(statistics.median(t))} / {_ms(_p90(t))}" for n, t in times.items()},
            ratio_of({n: medians[n][size] for n in names}),
        )
    growth = {n: medians[n][big] / medians[n][small] for n in names}
    row(f"append @{big} / @{small} (goal <= 1.2)", {n: _ratio(g) for n, g in growth.items()}, None)
    floors = {n: statistics.median(out[n].floor) for n in names}
    row("bare durable insert, ms (median)", {n: _ms(v) for n, v in floors.items()}, ratio_of(floors))
    row(f"append @{small} / bare insert", {n: _ratio(medians[n][small] / floors[n]) for n in names}, None)

    alone = {n: out[n].alone_count / out[n].alone_wall for n in names}
    many = {n: len(out[n].many_latencies) / out[n].many_wall for n in names}
    row("1 writer, appends/s", {n: f"{v:.0f}" for n, v in alone.items()}, ratio_of(alone))
    row(f"{WRITERS} writers, appends/s", {n: f"{v:.0f}" for n, v in many.items()}, ratio_of(many))
    row(f"{WRITERS} writers / 1 writer", {n: _ratio(many[n] / alone[n]) for n in names}, None)
    latency = {n: out[n].many_latencies for n in names}
    row(
        f"{WRITERS} writers, append ms (med / p90)",
        {n: f"{_ms(statistics.median(t))} / {_ms(_p90(t))}" for n, t in latency.items()},
        ratio_of({n: statistics.median(t) for n, t in latency.items()}),
    )
    loads = {n: statistics.median(out[n].loads) for n in names}
    row(f"load {load_size} turns, ms (median)", {n: _ms(v) for n, v in loads.items()}, ratio_of(loads))
    print()
    print(
        f"append: {reps} appends per size and backend; writers: {rounds} round(s) of {appends} appends "
        f"per writer; load: median of {len(out[names[0]].loads)}"
    )
    for name in names:
        verdict = "flat" if growth[name] <= 1.2 else "NOT flat (goal: at most 1.2x)"
        print(f"{name}: append @{big} / @{small} = {_ratio(growth[name])}: {verdict}")


# -- main -----------------------------------------------------------------------------------------


def _open_postgres(url: str) -> Store:
    import psycopg

    store = open_store_at(url)
    with psycopg.connect(url) as conn:
        found = conn.execute("SHOW server_version").fetchone()
        version = str(found[0]) if found else "?"
        settings = conn.execute(
            "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings"
            " WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method')"
        ).fetchone()
    print(f"  {POSTGRES} {version} at {store.path} ({settings[0] if settings else '?'})")
    return store


def _run(root: Path, parent: Path | None, quick: bool) -> None:
    sizes = [10, 300] if quick else [10, 5000]
    reps = 5 if quick else 101
    load_size, load_reps = sizes[-1], 2 if quick else 11
    appends, rounds = (3, 1) if quick else (50, 3)
    pool = make_turns(sizes[-1] + reps + WARMUP)
    turn_bytes = [len(TurnAdapter.dump_json(t)) for t in pool[:2]]

    mode = " (quick)" if quick else ""
    print(f"session store backends benchmark{mode}")
    print(f"turns: assistant {turn_bytes[0]} B, tool results {turn_bytes[1]} B (JSON), alternating")
    sqlite_file = root / "sessions.db"
    stores: Backends = {SQLITE: open_store_at(sqlite_file)}
    floors: dict[str, Floor] = {SQLITE: SqliteFloor(root)}
    print(f"  {SQLITE} {sqlite3.sqlite_version} at {sqlite_file} ({_filesystem(root)})")

    def measure() -> None:
        out: Results = {name: Figures() for name in stores}
        measure_appends(stores, out, sizes, pool, reps)
        measure_floor(floors, out, pool, reps)
        measure_writers(stores, out, appends, rounds, pool)
        measure_load(stores, out, load_size, pool, load_reps)
        print()
        _report(out, sizes, reps, load_size, appends, rounds)

    try:
        reason = why_no_postgres()
        if reason is not None:
            print(f"  {POSTGRES}: skipped: {reason}")
            measure()
            return
        start = time.perf_counter()
        with running_postgres(parent) as server:
            print(
                f"  (PostgreSQL server started in {time.perf_counter() - start:.1f} s under {server.root},"
                f" {_filesystem(server.root)})"
            )
            url = server.database("bench")
            stores[POSTGRES] = _open_postgres(url)
            floors[POSTGRES] = PostgresFloor(url)
            try:
                measure()
            finally:
                stores.pop(POSTGRES).close()
                floors.pop(POSTGRES).close()
    finally:
        for closing in (*stores.values(), *floors.values()):
            closing.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds (CI smoke test)")
    parser.add_argument(
        "--dir", type=Path, help="where the SQLite file and the PostgreSQL cluster go (default: temp folder)"
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="m2bridge-bench-backends-", dir=args.dir))
    try:
        _run(root, args.dir, args.quick)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
