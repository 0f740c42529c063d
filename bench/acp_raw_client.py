"""`m2bridge acp` spoken to as bare JSON lines over its stdio, with no SDK on this side: the least an ACP
client must do (write a request, read and parse lines until its answer). bench_acp.py runs it beside the
Python SDK's client, so the figures show how much of the time is the agent's and how much the client's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["RawAcp", "raw_acp"]

_LINE_LIMIT = 1 << 26  # a replayed tool result can be a long line


class RawAcp:
    """One `m2bridge acp` process; requests one at a time, the updates in between counted as they come."""

    def __init__(self, process: asyncio.subprocess.Process, wait: float) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout
        self._wait = wait
        self._next_id = 0
        self.first_thought = 0.0  # perf_counter when the last request's first agent_thought_chunk arrived
        self.updates: Counter[str] = Counter()  # session/update kinds received during the last request

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send a request and read until its answer; its result, or RuntimeError with its error."""
        self._next_id += 1
        self.first_thought, self.updates = 0.0, Counter()
        line = json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        self._stdin.write(line.encode() + b"\n")
        await self._stdin.drain()
        while True:  # bounded: every read waits at most `wait`, and the agent answers every request
            raw = await asyncio.wait_for(self._stdout.readline(), self._wait)
            if not raw:
                raise RuntimeError(f"the agent closed its stdout before answering {method}")
            message = json.loads(raw)
            if message.get("method") == "session/update":
                kind = str(message["params"]["update"].get("sessionUpdate"))
                self.updates[kind] += 1
                if kind == "agent_thought_chunk" and not self.first_thought:
                    self.first_thought = time.perf_counter()
            elif message.get("id") == self._next_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result")


@asynccontextmanager
async def raw_acp(cwd: Path, env: Mapping[str, str], log: IO[bytes], wait: float) -> AsyncGenerator[RawAcp]:
    """`m2bridge acp --sandbox off` in `cwd`, initialized; closed (stdin first, then waited for) after."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "m2bridge",
        "acp",
        "--sandbox",
        "off",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
        env=dict(env),
        cwd=cwd,
        limit=_LINE_LIMIT,
    )
    client = RawAcp(process, wait)
    try:
        await client.request(
            "initialize",
            {"protocolVersion": 1, "clientCapabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        )
        yield client
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), wait)
        except TimeoutError:
            process.kill()
            await process.wait()
