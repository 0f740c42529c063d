"""The agent's own cost per tool step, model latency excluded, as the stored session grows.

    python bench/bench_agent_step.py [--quick] [--dir DIR]

A zero-latency fake of the Anthropic-protocol API (this file with --serve, in its own process) answers
every request at once with the same small tool call (thinking, one `noop` call), without even parsing
the request. The agent (m2bridge.agent.Agent with a real ModelClient and a real SessionStore on disk)
runs one turn of 100 tool steps (max_steps) on a stored session that already holds 10, 250 or 1,000
turns (about 150 tokens each: 1,000 turns is about 150k tokens), so each step renders the whole history,
sends it, reads the streamed answer, appends the answer durably, runs the tool and appends its result.

The peer, measured in the same run and on the same sessions, is the floor for that work: a plain loop
over raw httpx that keeps the same history as a list of message dicts, serialises it with json.dumps,
posts it, reads the stream to its end and appends the answer and the tool result to the list. Printed
per session length: ms per step for both, the difference (m2bridge's overhead per step), and how much of
ours went to the two durable appends per step (an fsync each: what this disk charges for "a turn is
acknowledged only once durable"). Goal: overhead at most 5 ms per step, flat in session length.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import anyio
import httpx

__all__ = ["main", "session_turns"]

SYSTEM = "You are a coding agent being benchmarked. Call noop until told otherwise."
NOOP_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": []}
_THINKING = "I should call noop again to keep going; nothing else is needed at this point. " * 5
_RESULT = "noop done: nothing changed, the workspace is as it was before this call. " * 4


# -- the fake ---------------------------------------------------------------------------------------


def _event(name: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


def _answer(number: int, input_tokens: int) -> bytes:
    """One streamed answer: thinking, then a noop call with a unique id, like a small M2 step."""
    message = {"id": f"msg_{number}", "type": "message", "role": "assistant", "model": "MiniMax-M2"}
    call_id = f"call_live_{number}"
    frames = [
        _event(
            "message_start",
            {
                "message": {
                    **message,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                }
            },
        ),
        _event(
            "content_block_start",
            {"index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        ),
        *(
            _event(
                "content_block_delta", {"index": 0, "delta": {"type": "thinking_delta", "thinking": piece}}
            )
            for piece in (_THINKING[i : i + 64] for i in range(0, len(_THINKING), 64))
        ),
        _event("content_block_delta", {"index": 0, "delta": {"type": "signature_delta", "signature": "sig"}}),
        _event("content_block_stop", {"index": 0}),
        _event(
            "content_block_start",
            {"index": 1, "content_block": {"type": "tool_use", "id": call_id, "name": "noop", "input": {}}},
        ),
        _event(
            "content_block_delta",
            {"index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"n": 1}'}},
        ),
        _event("content_block_stop", {"index": 1}),
        _event(
            "message_delta",
            {"delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 120}},
        ),
        _event("message_stop", {}),
    ]
    return b"".join(frames)


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counter: list[int]
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            counter[0] += 1
            body = _answer(counter[0], length // 4)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    counter = [0]
    server = await asyncio.start_server(lambda r, w: _serve_connection(r, w, counter), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # serve until stdin closes
    server.close()
    print(counter[0], flush=True)


# -- the sessions -----------------------------------------------------------------------------------


def session_turns(count: int) -> list[Any]:
    """A stored conversation of `count` turns: a prompt, then noop calls (thinking included) and their
    results, alternating; about 150 tokens a turn on average."""
    from m2bridge.messages import (
        AssistantTurn,
        ThinkingBlock,
        ToolCall,
        ToolResult,
        ToolResultsTurn,
        Usage,
        UserTurn,
    )

    turns: list[Any] = [UserTurn(text="Call noop until I say stop.")]
    for i in range(1, count):
        if i % 2 == 1:
            call = ToolCall(id=f"call_old_{i}", name="noop", arguments={"n": i})
            content = [
                {"type": "thinking", "thinking": _THINKING, "signature": "sig"},
                {"type": "tool_use", "id": call.id, "name": "noop", "input": {"n": i}},
            ]
            turns.append(
                AssistantTurn(
                    protocol="anthropic",
                    model="MiniMax-M2",
                    blocks=[ThinkingBlock(text=_THINKING, signature="sig"), call],
                    provider_message={"role": "assistant", "content": content},
                    stop_reason="tool_use",
                    usage=Usage(input_tokens=150 * i, output_tokens=120),
                )
            )
        else:
            turns.append(
                ToolResultsTurn(
                    results=[ToolResult(tool_call_id=f"call_old_{i - 1}", name="noop", content=_RESULT)]
                )
            )
    return turns


def _as_messages(turns: Sequence[Any]) -> list[dict[str, Any]]:
    """The peer's history: the same turns as Anthropic message dicts."""
    from m2bridge.messages import AssistantTurn, ToolResultsTurn, UserTurn

    messages: list[dict[str, Any]] = []
    for turn in turns:
        if isinstance(turn, UserTurn):
            messages.append({"role": "user", "content": [{"type": "text", "text": turn.text}]})
        elif isinstance(turn, AssistantTurn):
            messages.append(turn.provider_message)
        elif isinstance(turn, ToolResultsTurn):
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": r.tool_call_id, "content": r.content}
                        for r in turn.results
                    ],
                }
            )
    return messages


# -- ours and the peer ------------------------------------------------------------------------------


class Noop:
    @property
    def spec(self) -> Any:
        from m2bridge.tools import ToolSpec

        return ToolSpec(name="noop", description="Does nothing.", input_schema=NOOP_SCHEMA)

    async def call(self, arguments: Mapping[str, Any]) -> Any:
        from m2bridge.tools import ToolOutcome

        return ToolOutcome(_RESULT)


async def ours(host: str, folder: Path, length: int, steps: int) -> tuple[float, float]:
    """(seconds per step, seconds per step spent in durable appends) for one turn of `steps` steps."""
    from m2bridge.agent import Agent
    from m2bridge.client.model import ModelClient
    from m2bridge.config import load_settings
    from m2bridge.sessions import SessionStore
    from m2bridge.sessions.async_store import AsyncSessionStore

    class TimedStore(AsyncSessionStore):
        appending = 0.0

        async def append(self, *args: Any, **kwargs: Any) -> int:
            start = time.perf_counter()
            try:
                return await super().append(*args, **kwargs)
            finally:
                self.appending += time.perf_counter() - start

    env = {"MINIMAX_API_KEY": "k", "MINIMAX_API_HOST": host, "M2BRIDGE_CONFIG": "/nonexistent"}
    settings = dataclasses.replace(
        load_settings(env), home=folder, max_steps=steps, context_window=10_000_000, max_retries=0
    )
    sync_store = SessionStore(folder / "sessions.db")
    try:
        session = sync_store.create(workspace=str(folder), protocol="anthropic", model="MiniMax-M2").id
        history = session_turns(length)
        head = 0
        for start in range(0, len(history), 250):
            head = sync_store.append(session, history[start : start + 250], expected_head=head)
        store = TimedStore(sync_store)
        async with ModelClient(settings) as client:
            agent = Agent(settings=settings, client=client, store=store, system=SYSTEM, tools=[Noop()])
            began = time.perf_counter()
            result = await agent.run_turn(session, "Keep calling noop.")
            elapsed = time.perf_counter() - began
        if result.error is not None or result.steps != steps:
            raise SystemExit(f"the agent stopped early: {result.stop_reason} {result.error}")
        return elapsed / steps, store.appending / steps
    finally:
        sync_store.close()


async def peer(host: str, length: int, steps: int) -> float:
    """Seconds per step for the same loop over raw httpx and json.dumps."""
    messages = _as_messages(session_turns(length))
    messages.append({"role": "user", "content": [{"type": "text", "text": "Keep calling noop."}]})
    tools = [{"name": "noop", "description": "Does nothing.", "input_schema": NOOP_SCHEMA}]
    url = f"{host}/anthropic/v1/messages"
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
    async with httpx.AsyncClient(timeout=60) as http:
        began = time.perf_counter()
        for step in range(steps):
            body = {
                "model": "MiniMax-M2",
                "max_tokens": 16_384,
                "stream": True,
                "system": SYSTEM,
                "tools": tools,
                "messages": messages,
            }
            events: list[dict[str, Any]] = []
            async with http.stream(
                "POST", url, content=json.dumps(body).encode(), headers=headers
            ) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
            call_id = next(
                e["content_block"]["id"]
                for e in events
                if e["type"] == "content_block_start" and e["index"] == 1
            )
            messages.append(
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": _THINKING, "signature": "sig"},
                        {"type": "tool_use", "id": call_id, "name": "noop", "input": {"n": 1}},
                    ],
                }
            )
            messages.append(
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": call_id, "content": _RESULT}],
                }
            )
            del step
        return (time.perf_counter() - began) / steps


async def run(quick: bool, where: Path | None) -> None:
    lengths = (10, 100) if quick else (10, 250, 1000)
    steps = 10 if quick else 100
    rounds = 1 if quick else 3
    fake = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert fake.stdin is not None and fake.stdout is not None
    root = Path(tempfile.mkdtemp(prefix="m2bridge-step-", dir=where))
    figures: dict[int, dict[str, list[float]]] = {n: {"ours": [], "appends": [], "peer": []} for n in lengths}
    try:
        host = fake.stdout.readline().strip()
        if not host.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the fake did not start (printed {host!r})")
        await ours(host, root / "warm", 4, 2)  # imports, connections, the database's first pages
        for round_no in range(rounds):
            for length in lengths:
                folder = root / f"r{round_no}-{length}"
                folder.mkdir()
                step, appends = await ours(host, folder, length, steps)
                figures[length]["ours"].append(step)
                figures[length]["appends"].append(appends)
                figures[length]["peer"].append(await peer(host, length, steps))
    finally:
        fake.stdin.close()
        fake.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)

    mode = " (quick)" if quick else ""
    print(
        f"agent step overhead{mode}: {steps} tool steps per turn, zero-latency fake, medians of {rounds} runs"
    )
    columns = ("stored", 7), ("~tokens", 8), ("ours ms", 8), ("peer ms", 8), ("ratio", 6), ("overhead", 9)
    print("  " + " ".join(name.rjust(width) for name, width in (*columns, ("appends", 8), ("rest", 6))))
    for length in lengths:
        mine = statistics.median(figures[length]["ours"]) * 1000
        floor = statistics.median(figures[length]["peer"]) * 1000
        appends = statistics.median(figures[length]["appends"]) * 1000
        tokens = sum(len(json.dumps(m)) for m in _as_messages(session_turns(length))) / 3.5
        print(
            f"  {length:>7} {tokens:>8,.0f} {mine:>8.2f} {floor:>8.2f} {mine / floor:>5.2f}x "
            f"{mine - floor:>9.2f} {appends:>8.2f} {mine - floor - appends:>6.2f}"
        )
    print("  overhead = ours - peer per step; appends = the two durable appends per step (fsync);")
    print("  rest = overhead without them. Goal: overhead at most 5 ms per step, flat in session length.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds (CI smoke test)")
    parser.add_argument("--dir", type=Path, help="where the session store goes (default: a temporary folder)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve())
        return
    anyio.run(run, args.quick, args.dir)


if __name__ == "__main__":
    main()
