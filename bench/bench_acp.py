"""`m2bridge acp` as an editor meets it: real `m2bridge acp --sandbox off` subprocesses against the test
suite's fake MiniMax API in its own process (bench/acp_fake_m2.py), driven by two clients side by side:
the ACP Python SDK's client (as a Python editor uses it) and bare JSON lines (bench/acp_raw_client.py, the
least any client must do), so a figure shows what is the agent's and what the client library's.

    python bench/bench_acp.py [--quick] [--dir DIR]

1. session/prompt to the first agent_thought_chunk the client receives, for a session's first prompt
   (which also titles the session in the store) and for a follow-up, against raw httpx sending the very
   request body the agent sent for that prompt (the fake captures it in an untimed first session) to the
   same fake and parsing the SSE stream to its first thinking delta. Goal (issue 17, as for the streaming
   relay): under 2 ms added.
2. session/load of a stored 1,000-turn session (the user's words, M2's thinking and text, tool calls and
   their results), from sending the request until its answer and every replayed update are in, against
   the store's own in-process load of the same session (`SessionStore.load`), and that load plus building
   the same updates in-process: what replaying over ACP adds. No goal is set; the figure is the ratio.

All measured alternately in one run (medians and p90s); garbage is collected between rounds, never inside
a timing. Run it on a real disk (`--dir`): each turn's durable append is part of a prompt's time.
`--quick` is a few seconds' smoke run (a 200-turn session). A missed goal never makes the exit status
non-zero; a history violation seen by the fake does (the run is then not a valid one). Every wait is
bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import httpx
from acp import PROTOCOL_VERSION, Client, RequestError, text_block
from acp.client.connection import ClientSideConnection
from acp.schema import AgentThoughtChunk, ClientCapabilities, Implementation, RequestPermissionResponse
from acp.stdio import spawn_agent_process
from acp_raw_client import RawAcp, raw_acp

from acp_agent.replay import replay_updates
from m2bridge.messages import (
    AssistantTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    Turn,
    Usage,
    UserTurn,
)
from m2bridge.sessions import SessionStore

__all__ = ["BenchEditor", "RawSide", "SdkSide", "main", "make_session_turns"]

ROOT = Path(__file__).resolve().parents[1]
WAIT = 60.0  # seconds: the bound on any single wait for the agent
REPLAYED = {
    "user_message_chunk",
    "agent_message_chunk",
    "agent_thought_chunk",
    "tool_call",
    "tool_call_update",
}


# The editor ---------------------------------------------------------------------------------------------
@dataclass
class BenchEditor:
    """The editor's side: notes when the watched session's first thought arrives and counts what a
    session/load replays. It never grants a permission (the bench's turns call no tools)."""

    watched: str = ""
    first_thought: float = 0.0
    replayed: int = 0
    expected: int = 0
    all_replayed: asyncio.Event = field(default_factory=asyncio.Event)

    def watch(self, session_id: str, expected: int = 0) -> None:
        self.watched, self.first_thought, self.replayed, self.expected = session_id, 0.0, 0, expected
        self.all_replayed.clear()

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        if session_id != self.watched:
            return
        if not self.first_thought and isinstance(update, AgentThoughtChunk):
            self.first_thought = time.perf_counter()
        if update.session_update in REPLAYED:
            self.replayed += 1
            if self.expected and self.replayed >= self.expected:
                self.all_replayed.set()

    async def request_permission(self, *args: Any, **kwargs: Any) -> RequestPermissionResponse:
        raise RequestError.internal_error({"details": "the bench's turns call no tools"})

    def on_connect(self, conn: Any) -> None:
        pass


# The stored session -------------------------------------------------------------------------------------
def _prose(seed: int, size: int) -> str:
    words = (
        "the cache returns None when cold so the caller checks first; read the test, then patch " * 40
    ).split()
    out = " ".join(words[(seed + i) % len(words)] for i in range(size // 5))
    return out[:size]


def make_session_turns(count: int) -> list[Turn]:
    """`count` turns in exchanges of four: the user's words; M2 thinking (~1 KB) and calling read_file;
    the file it read (~1 KB); M2 thinking again (~500 B) and answering."""
    turns: list[Turn] = []
    for i in range(count):
        step, n = i % 4, i // 4
        if step == 0:
            turns.append(UserTurn(text=f"question {n}: why does module_{n}.py return None?"))
        elif step == 1:
            thinking = _prose(i, 1000)
            call = ToolCall(id=f"call_{n}", name="read_file", arguments={"path": f"src/module_{n}.py"})
            turns.append(_assistant(thinking, "Reading it.", call))
        elif step == 2:
            content = _prose(i, 1000)
            turns.append(
                ToolResultsTurn(
                    results=[ToolResult(tool_call_id=f"call_{n}", name="read_file", content=content)]
                )
            )
        else:
            turns.append(_assistant(_prose(i, 500), _prose(i + 7, 300), None))
    return turns


def _assistant(thinking: str, text: str, call: ToolCall | None) -> AssistantTurn:
    blocks: list[ThinkingBlock | TextBlock | ToolCall] = [
        ThinkingBlock(text=thinking, signature="sig"),
        TextBlock(text=text),
    ]
    content: list[dict[str, Any]] = [
        {"type": "thinking", "thinking": thinking, "signature": "sig"},
        {"type": "text", "text": text},
    ]
    if call is not None:
        blocks.append(call)
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
    return AssistantTurn(
        protocol="anthropic",
        model="MiniMax-M2",
        blocks=blocks,
        provider_message={"role": "assistant", "content": content},
        stop_reason="tool_use" if call is not None else "end_turn",
        usage=Usage(input_tokens=10_000, output_tokens=400),
    )


def _store_session(store: SessionStore, workspace: Path, turns: Sequence[Turn]) -> str:
    info = store.create(
        workspace=str(workspace), protocol="anthropic", model="MiniMax-M2", title="bench: long"
    )
    head = 0
    for start in range(0, len(turns), 250):  # a few big transactions, not a thousand fsyncs
        head = store.append(info.id, turns[start : start + 250], expected_head=head)
    return info.id


# Figures ------------------------------------------------------------------------------------------------
def _p90(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


# The two clients, behind the same three calls ---------------------------------------------------------
class SdkSide:
    """The Python SDK's client, as a Python editor would use it."""

    name = "SDK client"

    def __init__(self, conn: ClientSideConnection, editor: BenchEditor) -> None:
        self.conn, self.editor = conn, editor

    async def new_session(self, cwd: Path) -> str:
        return (await asyncio.wait_for(self.conn.new_session(cwd=str(cwd), mcp_servers=[]), WAIT)).session_id

    async def to_first_thought(self, session_id: str, words: str) -> float:
        self.editor.watch(session_id)
        start = time.perf_counter()
        answer = await asyncio.wait_for(
            self.conn.prompt(session_id=session_id, prompt=[text_block(words)]), WAIT
        )
        return _checked_thought(answer.stop_reason, self.editor.first_thought, start)

    async def load(self, cwd: Path, session_id: str, expected: int) -> float:
        self.editor.watch(session_id, expected)
        start = time.perf_counter()
        await asyncio.wait_for(
            self.conn.load_session(cwd=str(cwd), session_id=session_id, mcp_servers=[]), WAIT
        )
        # The answer comes after the updates on the wire, but the SDK hands each update to its own task.
        await asyncio.wait_for(self.editor.all_replayed.wait(), WAIT)
        return _checked_load(time.perf_counter() - start, self.editor.replayed, expected)


class RawSide:
    """Bare JSON lines: what the agent and the pipe cost without any client library."""

    name = "raw JSON lines"

    def __init__(self, client: RawAcp) -> None:
        self.client = client

    async def new_session(self, cwd: Path) -> str:
        return (await self.client.request("session/new", {"cwd": str(cwd), "mcpServers": []}))["sessionId"]

    async def to_first_thought(self, session_id: str, words: str) -> float:
        start = time.perf_counter()
        prompt = [{"type": "text", "text": words}]
        answer = await self.client.request("session/prompt", {"sessionId": session_id, "prompt": prompt})
        return _checked_thought(answer["stopReason"], self.client.first_thought, start)

    async def load(self, cwd: Path, session_id: str, expected: int) -> float:
        start = time.perf_counter()
        params: dict[str, Any] = {"cwd": str(cwd), "sessionId": session_id, "mcpServers": []}
        await self.client.request("session/load", params)
        replayed = sum(self.client.updates[kind] for kind in REPLAYED)
        return _checked_load(time.perf_counter() - start, replayed, expected)


Side = SdkSide | RawSide


def _checked_thought(stop_reason: str, first_thought: float, start: float) -> float:
    if stop_reason != "end_turn" or not first_thought:
        raise SystemExit(f"the prompt ended {stop_reason!r} without the thought it should stream first")
    return first_thought - start


def _checked_load(seconds: float, replayed: int, expected: int) -> float:
    if replayed != expected:
        raise SystemExit(f"session/load replayed {replayed} turn updates, expected {expected}")
    return seconds


def _collect() -> None:
    """Collect garbage between rounds, never inside a timing (`run` keeps automatic collection off):
    a collection of this process's heap would land on whichever client happened to be timed."""
    gc.collect()


# 1. Prompt to first thought -----------------------------------------------------------------------------
async def _raw_first_thinking(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> float:
    """What the least client does: POST, read SSE lines, parse each event's JSON, stop at thinking."""
    start = time.perf_counter()
    first = 0.0
    async with http.stream("POST", url, json=body, headers={"x-api-key": "k"}) as response:
        async for line in response.aiter_lines():
            if first or not line.startswith("data:"):
                continue  # read on to the end, so the connection is reused as the agent's is
            delta: dict[str, Any] = json.loads(line[5:]).get("delta") or {}
            if delta.get("thinking"):
                first = time.perf_counter() - start
    if not first:
        raise SystemExit(f"the raw request got no thinking (status {response.status_code})")
    return first


HTTPX = "raw httpx to M2"
PROMPTS = (("first prompt of a session", "what does answer return?"), ("follow-up prompt", "and now?"))


async def measure_prompts(
    sides: Sequence[Side], cwd: Path, url: str, captured: Path, rounds: int, warmup: int
) -> dict[str, dict[str, list[float]]]:
    """Seconds to the first thought, by prompt and by client (raw httpx among them). Each round, each
    client opens a session (untimed) and sends its first prompt and a follow-up; after each, raw httpx
    sends the body the agent sent for that prompt in the capture session."""
    capture = await sides[0].new_session(cwd)  # the fake writes these two requests' bodies
    for _, words in PROMPTS:
        await sides[0].to_first_thought(capture, words)
    bodies = [json.loads((captured / f"{n}.json").read_text()) for n in (1, 2)]
    figures: dict[str, dict[str, list[float]]] = {label: {} for label, _ in PROMPTS}
    async with httpx.AsyncClient(timeout=WAIT) as http:
        for i in range(warmup + rounds):
            _collect()
            sessions = [await side.new_session(cwd) for side in sides]
            for (label, words), body in zip(PROMPTS, bodies, strict=True):
                for side, session_id in zip(sides, sessions, strict=True):
                    seconds = await side.to_first_thought(session_id, words)
                    if i >= warmup:
                        figures[label].setdefault(side.name, []).append(seconds)
                seconds = await _raw_first_thinking(http, url, body)
                if i >= warmup:
                    figures[label].setdefault(HTTPX, []).append(seconds)
    return figures


# 2. session/load ----------------------------------------------------------------------------------------
STORE = "SessionStore.load"
STORE_AND_UPDATES = "+ updates built"


async def measure_load(
    sides: Sequence[Side], cwd: Path, store: SessionStore, session_id: str, rounds: int
) -> tuple[int, dict[str, list[float]]]:
    """(updates replayed, seconds by client): session/load over ACP until every replayed update is in,
    alternating with the store's load in-process and (for the breakdown) that load plus building the
    same updates in-process."""
    expected = len(replay_updates([t.turn for t in store.load(session_id).turns], cwd))
    figures: dict[str, list[float]] = {}

    def in_process(with_updates: bool) -> float:
        start = time.perf_counter()
        loaded = store.load(session_id)
        if with_updates:
            replay_updates([t.turn for t in loaded.turns], cwd)
        return time.perf_counter() - start

    for i in range(rounds + 1):  # the first round warms the agents' services and caches
        _collect()
        timed: dict[str, float] = {}
        for side in sides:
            timed[side.name] = await side.load(cwd, session_id, expected)
        for name, with_updates in ((STORE, False), (STORE_AND_UPDATES, True)):
            timed[name] = in_process(with_updates)
        if i:
            for name, seconds in timed.items():
                figures.setdefault(name, []).append(seconds)
    return expected, figures


# The run ------------------------------------------------------------------------------------------------
def _cell(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.2f} {_p90(samples) * 1000:8.2f}"


def _print_prompts(figures: dict[str, dict[str, list[float]]], rounds: int) -> None:
    print(f"session/prompt to the first agent_thought_chunk, ms ({rounds} rounds; median, p90)")
    for label, by_client in figures.items():
        peer = statistics.median(by_client[HTTPX])
        print(f"  {label}:")
        for name, samples in by_client.items():
            line = f"    {name:<18}{_cell(samples)}"
            if name != HTTPX:
                added = round((statistics.median(samples) - peer) * 1000, 2)
                verdict = "met" if added < 2 else "missed"
                ratio = statistics.median(samples) / peer
                line += f"   added {added:+.2f} ms ({ratio:.2f}x), goal < 2 ms: {verdict}"
            print(line)


def _print_load(figures: dict[str, list[float]], updates: int, turns: int) -> None:
    rounds = len(figures[STORE])
    store = statistics.median(figures[STORE])
    print(
        f"session/load of a {turns:,}-turn session ({updates:,} updates), ms ({rounds} rounds; median, p90)"
    )
    for name, samples in figures.items():
        line = f"    {name:<18}{_cell(samples)}"
        if name != STORE:
            line += f"   {statistics.median(samples) / store:.1f}x the store's load"
        print(line)


async def run(quick: bool, where: Path | None) -> None:
    rounds, warmup = (3, 1) if quick else (100, 10)
    turns_in_session, load_rounds = (200, 2) if quick else (1000, 20)
    root = Path(tempfile.mkdtemp(prefix="m2bridge-bench-acp-", dir=where))
    captured = root / "captured"
    captured.mkdir()
    project = root / "project"
    project.mkdir()
    home = root / "home"
    home.mkdir()
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("acp_fake_m2.py")), str(captured), "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None and fake.stdin is not None
    try:
        host = fake.stdout.readline().strip()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "M2BRIDGE_HOME": str(home),
            "M2BRIDGE_CONFIG": str(root / "config.toml"),
            "M2BRIDGE_API": "anthropic",
            "MINIMAX_API_HOST": host,
            "MINIMAX_API_KEY": "k",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),  # this checkout's acp_agent, as the tests do
        }
        store = SessionStore(home / "sessions.db")
        long_session = _store_session(store, project.resolve(), make_session_turns(turns_in_session))
        editor = BenchEditor()
        with (root / "acp-stderr.log").open("wb") as log:
            async with (
                spawn_agent_process(
                    # It answers all an agent may ask a client without fs or terminal capabilities.
                    cast(Client, editor),
                    sys.executable,
                    "-m",
                    "m2bridge",
                    "acp",
                    "--sandbox",
                    "off",
                    env=env,
                    cwd=project,
                    transport_kwargs={"stderr": log.fileno()},
                ) as (conn, _process),
                raw_acp(project, env, log, WAIT) as raw,
            ):
                await asyncio.wait_for(
                    conn.initialize(
                        protocol_version=PROTOCOL_VERSION,
                        client_capabilities=ClientCapabilities(),
                        client_info=Implementation(name="m2bridge-bench", version="0"),
                    ),
                    WAIT,
                )
                sides: list[Side] = [SdkSide(conn, editor), RawSide(raw)]
                url = host + "/anthropic/v1/messages"
                gc.disable()
                try:
                    prompts = await measure_prompts(sides, project, url, captured, rounds, warmup)
                    updates, loads = await measure_load(sides, project, store, long_session, load_rounds)
                finally:
                    gc.enable()
        store.close()
        print(f"m2bridge acp{' (quick)' if quick else ''}, over the fake M2 in its own process")
        _print_prompts(prompts, rounds)
        _print_load(loads, updates, turns_in_session)
    except BaseException:
        log_file = root / "acp-stderr.log"
        if log_file.exists():
            tail = "\n".join(log_file.read_text().splitlines()[-30:])
            print(f"the agents' log, last lines:\n{tail}", file=sys.stderr)
        raise
    finally:
        fake.stdin.close()
        status = fake.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    if status != 0:
        raise SystemExit("the fake M2 saw history violations: the figures above are not from a valid run")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    parser.add_argument(
        "--dir", type=Path, help="where the store and project go (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.quick, args.dir))


if __name__ == "__main__":
    main()
