"""Benchmark live sessions: how soon another process learns that a session grew, PostgreSQL vs SQLite.

    python bench/bench_live.py [--quick] [--rounds N] [--dir DIR]

A writer process appends one turn per round to a session (a real, durable store `append`) and reports
the moment the append returned. The reader, in this process, times how long after that moment it
learns of the new turn:

  ours          the store's change feed (`m2bridge.sessions.changes`, what `m2/sessionChanged` and
                `sessions watch` use): `PRAGMA data_version` every DEFAULT_INTERVAL seconds on a
                connection of its own, in a worker thread, then the followed session's head;
  raw           the same check written by hand with nothing around it: a thread that reads
                `PRAGMA data_version` at the same interval and then the head (the peer: what the
                feed's layers cost is the difference);
  ours-1ms, raw-1ms  both at 1 ms, near the floor of polling (and a core kept busy for it): with
                the polling phase out of the way, the difference is what the feed's layers add;
  pg-ours       the change feed on PostgreSQL: LISTEN on a connection of its own (async psycopg),
                the schema's trigger NOTIFYs at commit (no payload), then the head re-read under
                the reader's role on a second connection;
  pg-raw        its peer by hand: a thread blocked in a bare psycopg connection's `notifies()`, then
                the head on that same connection.

The PostgreSQL half runs on a temporary server the bench starts (bench/pg_server.py: fsync and
synchronous_commit on, TCP on 127.0.0.1) and stops; it is skipped, with the reason printed, where the
server binaries or psycopg are missing. Each round waits a random part of the polling interval before
appending, so the append lands anywhere in a poller's cycle: about half an interval is the expected
wait for any poller at that interval, and nothing for a notification.
The goal (issue 18): the editor learns of a turn within a second; `ours` within a few ms of `raw`.
Never exits non-zero for a missed goal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_server import running_postgres, why_no_postgres

from m2bridge.sessions import SessionStore, open_store_at
from m2bridge.sessions.changes import DEFAULT_INTERVAL, ChangeFeed, sqlite_change_feed

__all__ = ["main"]

# Each reader's figures against its peer's, polling at the same interval.
PAIRS = (("ours", "raw"), ("ours-1ms", "raw-1ms"), ("pg-ours", "pg-raw"))

# Each round's wait for the reader is bounded: a lost event ends the round, it does not hang the bench.
ROUND_BOUND = 10.0

# The writer: appends one turn per line read, printing the monotonic time (system-wide on Linux and
# macOS, so comparable across processes) at which the durable append returned. The store (a file or a
# database URL, with its password) comes in the environment, not on a command line `ps` shows.
WRITER = """
import os, sys, time
from m2bridge.messages import UserTurn
from m2bridge.sessions import open_store_at
store = open_store_at(os.environ["M2BRIDGE_BENCH_STORE"])
session = sys.argv[1]
print("ready", flush=True)
for line in sys.stdin:
    head = store.get(session).turns
    store.append(session, [UserTurn(text=f"turn {head}")], expected_head=head)
    print(time.monotonic(), flush=True)
"""


class Writer:
    def __init__(self, location: str, session_id: str) -> None:
        root = str(Path(__file__).resolve().parents[1])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, session_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "M2BRIDGE_BENCH_STORE": location},
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        if self._out.readline().strip() != "ready":
            raise RuntimeError("the writer process did not start")

    def append(self) -> float:
        """One durable append in the writer; the moment it returned."""
        self._in.write("append\n")
        self._in.flush()
        return float(self._out.readline())

    def close(self) -> None:
        self._in.close()
        try:
            self.proc.wait(ROUND_BOUND)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ours(
    make_feed: Callable[[], ChangeFeed],
    shown: int,
    session_id: str,
    writer: Writer,
    rounds: int,
    interval: float,
) -> list[float]:
    """The store's change feed (`make_feed()`), following the session from `shown` turns."""

    async def run() -> list[float]:
        latencies: list[float] = []
        feed = make_feed()
        async with feed:
            feed.follow(session_id, shown)
            await asyncio.sleep(2 * interval)  # the feed's first look is taken
            for _ in range(rounds):
                await asyncio.sleep(random.uniform(0, interval))
                appended = asyncio.ensure_future(asyncio.to_thread(writer.append))
                try:
                    await asyncio.wait_for(feed.next(), ROUND_BOUND)
                except TimeoutError:
                    print("  ours: a round's change never arrived", file=sys.stderr)
                    await appended
                    continue
                seen = time.monotonic()
                latencies.append(seen - await appended)
        return latencies

    return asyncio.run(run())


def sqlite_head(db: Path, session_id: str) -> int:
    with SessionStore(db) as store:
        return store.get(session_id).turns


def raw(db: Path, session_id: str, writer: Writer, rounds: int, interval: float) -> list[float]:
    """A thread polling the change counter (and then the head) all along, as the feed does."""
    conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, isolation_level=None, check_same_thread=False)
    noticed: dict[int, float] = {}  # head -> when the poller saw it
    grew = threading.Condition()
    stop = threading.Event()

    def poll() -> None:
        version, head = None, -1
        while not stop.is_set():
            now = conn.execute("PRAGMA data_version").fetchone()[0]
            if now != version:
                version = now
                row = conn.execute("SELECT head FROM sessions WHERE id = ?", (session_id,)).fetchone()
                if row[0] > head:
                    head = row[0]
                    with grew:
                        noticed[head] = time.monotonic()
                        grew.notify_all()
            stop.wait(interval)

    start = conn.execute("SELECT head FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
    poller = threading.Thread(target=poll)
    poller.start()
    latencies: list[float] = []
    try:
        with grew:
            grew.wait_for(lambda: start in noticed, ROUND_BOUND)  # the first look is taken
        for head in range(start + 1, start + 1 + rounds):
            time.sleep(random.uniform(0, interval))
            appended = writer.append()
            with grew:
                if grew.wait_for(lambda head=head: head in noticed, ROUND_BOUND):
                    latencies.append(noticed[head] - appended)
                else:
                    print("  raw: a round's change never arrived", file=sys.stderr)
        return latencies
    finally:
        stop.set()
        poller.join(ROUND_BOUND)
        conn.close()


def pg_raw(url: str, session_id: str, writer: Writer, rounds: int, interval: float) -> list[float]:
    """A thread blocked in a bare connection's `notifies()`, reading the head after each notification."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    conn.execute("LISTEN m2bridge_sessions")
    noticed: dict[int, float] = {}
    grew = threading.Condition()
    stop = threading.Event()

    def head() -> int:
        row = conn.execute("SELECT head FROM m2bridge.sessions WHERE id = %s", (session_id,)).fetchone()
        assert row is not None
        return int(row[0])

    def listen() -> None:
        while not stop.is_set():
            # Bounded, to see `stop`; the head is read after the generator ends (it holds the
            # connection's lock while it waits).
            if list(conn.notifies(timeout=0.2, stop_after=1)):
                now = head()
                with grew:
                    noticed.setdefault(now, time.monotonic())
                    grew.notify_all()

    start = head()
    listener = threading.Thread(target=listen)
    listener.start()
    latencies: list[float] = []
    try:
        for expected in range(start + 1, start + 1 + rounds):
            time.sleep(random.uniform(0, interval))
            appended = writer.append()
            with grew:
                if grew.wait_for(lambda expected=expected: expected in noticed, ROUND_BOUND):
                    latencies.append(noticed[expected] - appended)
                else:
                    print("  pg-raw: a round's change never arrived", file=sys.stderr)
        return latencies
    finally:
        stop.set()
        listener.join(ROUND_BOUND)
        conn.close()


def measure_postgres(parent: Path | None, rounds: int, interval: float) -> dict[str, list[float]]:
    """The PostgreSQL readers, on a temporary server; {} (with the reason printed) where there is none."""
    why = why_no_postgres()
    if why is not None:
        print(f"PostgreSQL half skipped: {why}\n")
        return {}
    from m2bridge.sessions.postgres.changes import postgres_change_feed

    # Its own folder (under --dir, or the temporary one): the server's user must reach it.
    with running_postgres(parent) as server:
        url = server.database("live")
        store = open_store_at(url)  # migrates the new database
        try:
            session_id = store.create(workspace="/bench", protocol="anthropic", model="MiniMax-M2").id
        finally:
            store.close()
        writer = Writer(url, session_id)
        try:
            times = {
                "pg-ours": ours(lambda: postgres_change_feed(url), 0, session_id, writer, rounds, interval)
            }
            times["pg-raw"] = pg_raw(url, session_id, writer, rounds, interval)
        finally:
            writer.close()
    return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few rounds, a few seconds (CI smoke test)")
    parser.add_argument("--rounds", type=int, help="rounds per reader (default 40; 5 with --quick)")
    parser.add_argument("--dir", type=Path, help="where to write the store (default: a temporary folder)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 40)
    interval = DEFAULT_INTERVAL

    root = Path(tempfile.mkdtemp(prefix="m2bridge-bench-live-", dir=args.dir))
    try:
        db = root / "sessions.db"
        with SessionStore(db) as store:
            session_id = store.create(workspace=str(root), protocol="anthropic", model="MiniMax-M2").id
        mode = " (quick)" if args.quick else ""
        print(f"live sessions benchmark{mode}: SQLite {sqlite3.sqlite_version}, {root}")
        print(f"from a durable append in another process to the reader knowing, {rounds} rounds each")
        print(f"ours and raw poll every {_ms(interval)} ms, the -1ms readers every 1 ms;")
        print("pg- readers wait for PostgreSQL's NOTIFY (appends spaced as for ours)\n")
        measured: dict[str, list[float]] = {}
        writer = Writer(str(db), session_id)
        try:
            readers: list[tuple[str, Callable[[], list[float]]]] = [
                (
                    "ours",
                    lambda: ours(
                        lambda: sqlite_change_feed(db, interval),
                        sqlite_head(db, session_id),
                        session_id,
                        writer,
                        rounds,
                        interval,
                    ),
                ),
                ("raw", lambda: raw(db, session_id, writer, rounds, interval)),
                (
                    "ours-1ms",
                    lambda: ours(
                        lambda: sqlite_change_feed(db, 0.001),
                        sqlite_head(db, session_id),
                        session_id,
                        writer,
                        rounds,
                        0.001,
                    ),
                ),
                ("raw-1ms", lambda: raw(db, session_id, writer, rounds, 0.001)),
            ]
            for name, measure in readers:
                measured[name] = measure()
        finally:
            writer.close()
        try:
            measured.update(measure_postgres(args.dir, rounds, interval))
        except RuntimeError as exc:  # the server did not start: SQLite's figures still count
            print(f"PostgreSQL half failed: {exc}\n", file=sys.stderr)
        results = {name: _summary(times) for name, times in measured.items() if times}

        print("latency, ms: median / p90")
        for name, (median, p90) in results.items():
            print(f"  {name.ljust(16)} {_ms(median).rjust(7)} / {_ms(p90).rjust(7)}")
        print()
        for mine, peer in PAIRS:
            if mine in results and peer in results:
                added = results[mine][0] - results[peer][0]
                ratio = results[mine][0] / results[peer][0]
                print(f"{mine} / {peer}: {ratio:.3g}x ({_ms(added)} ms added by the feed's layers)")
        if "ours" in results and "pg-ours" in results:
            pg, lite = results["pg-ours"][0], results["ours"][0]
            shipped = f"{_ms(pg)} / {_ms(lite)} ms median, {pg / lite:.3g}x"
            print(f"PostgreSQL / SQLite (the feed as shipped): {shipped}")
        for name in ("ours", "pg-ours"):
            if name in results:
                p90 = results[name][1]
                verdict = "met" if p90 < 1.0 else "MISSED"
                print(f"goal ({name}): the editor knows within a second (p90 {_ms(p90)} ms): {verdict}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
