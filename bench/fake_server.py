"""Run the test suite's fake MiniMax API in its own process for benchmarks (prints its host, then
serves until stdin closes), so the client under test does not share a GIL with the server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.minimax import FakeMiniMax, Reply, RequestInfo


def main() -> None:
    size = int(sys.argv[1])
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    fake = FakeMiniMax(api_key="k")
    fake.chunk_size = chunk
    # "small" asks for a short reply (first-token runs); anything else gets the full size.

    def respond(request: RequestInfo) -> Reply:
        n = 200 if "small" in json.dumps(request.body["messages"][-1]) else size
        return Reply("x" * n, thinking="t" * (n // 4))

    fake.responder = respond
    fake.start()
    print(fake.host, flush=True)
    sys.stdin.read()
    fake.stop()
    if fake.violations:
        print("\n".join(fake.violations), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
