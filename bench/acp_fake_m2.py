"""The test suite's fake MiniMax API in its own process for bench_acp.py: every model request gets a short
reply that streams its thinking first (the fake's default thinking, which names the turn), and the first
few request bodies are written to a folder, so the bench's raw httpx peer can send exactly what the agent
sent.

    python bench/acp_fake_m2.py CAPTURE_DIR CAPTURE_COUNT

Prints its host, serves until stdin closes, then exits non-zero if the fake saw history violations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.minimax import FakeMiniMax, Reply, RequestInfo

__all__ = ["main"]

TEXT = "x" * 200


def main() -> None:
    capture_dir, capture_count = Path(sys.argv[1]), int(sys.argv[2])
    fake = FakeMiniMax(api_key="k")
    fake.chunk_size = 16
    served = 0

    def respond(request: RequestInfo) -> Reply:
        nonlocal served
        served += 1
        # Only the first few (untimed warm-up) requests pay for the write.
        if served <= capture_count:
            (capture_dir / f"{served}.json").write_text(json.dumps(request.body))
        # The fake's own thinking (about 200 characters) names its turn, so its history check can tell
        # one reply from the next.
        return Reply(TEXT)

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
