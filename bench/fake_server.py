"""Run the test suite's fake MiniMax API in its own process for benchmarks (prints its host, then
serves until stdin closes), so the client under test does not share a GIL with the server."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.minimax import FakeMiniMax, Reply


def main() -> None:
    size = int(sys.argv[1])
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    fake = FakeMiniMax(api_key="k")
    fake.chunk_size = chunk
    fake.responder = lambda request: Reply("x" * size, thinking="t" * (size // 4))
    fake.start()
    print(fake.host, flush=True)
    sys.stdin.read()
    fake.stop()
    if fake.violations:
        print("\n".join(fake.violations), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
