"""The test suite's fake MiniMax API in its own process, answering every model request after a fixed
latency with a short final reply (no tool calls): an M2 whose speed is known, for bench_m2_task.py.

    python bench/fake_m2_latency.py SECONDS

Prints its host, serves until stdin closes, then prints how many model requests it answered.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.minimax import FakeMiniMax, Fault, Reply, RequestInfo


def main() -> None:
    latency = float(sys.argv[1])
    fake = FakeMiniMax(api_key="k")
    served = 0

    def respond(request: RequestInfo) -> Fault:
        nonlocal served
        served += 1
        return Fault.slow_first_byte(latency, Reply("done", thinking="The task is trivial; answer at once."))

    fake.responder = respond
    fake.start()
    print(fake.host, flush=True)
    sys.stdin.read()
    fake.stop()
    print(served, flush=True)
    if fake.violations:
        print("\n".join(fake.violations), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
