"""`m2bridge mcp` on stdio: on pipes the event loop reads and writes them (mcp_tools.server.pipes); on files
the SDK's transport serves. Both answer the same lines the same way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.mcp_clients import server_env
from tests.support.sandbox import Sandbox

BIG = 3 * 1024 * 1024  # far beyond a pipe's buffer

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _lines(*messages: Any) -> bytes:
    return b"".join((m if isinstance(m, str) else json.dumps(m)).encode() + b"\n" for m in messages)


def _command(sandbox: Sandbox) -> list[str]:
    return [sys.executable, "-m", "m2bridge", "mcp", "--root", str(sandbox.root)]


def test_on_pipes_a_large_message_and_a_broken_line_are_answered_and_the_end_of_input_ends_it(
    sandbox: Sandbox,
) -> None:
    big = "x" * BIG + "\n"
    write = {"name": "write_file", "arguments": {"path": "big.txt", "content": big}}
    proc = subprocess.Popen(
        _command(sandbox),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(sandbox.home),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(
        _lines(
            INITIALIZE,
            INITIALIZED,
            "{not json",
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": write},
        )
    )
    proc.stdin.flush()
    answers: dict[Any, dict[str, Any]] = {}
    for _ in range(10):  # bounded: three answers are due, a line each
        line = proc.stdout.readline()
        if not line:
            break
        answer = json.loads(line)
        answers[answer.get("id")] = answer
        if {1, None, 2} <= set(answers):
            break
    proc.stdin.close()  # the end of input ends the server
    assert proc.wait(timeout=30) == 0
    proc.stdout.close()
    assert answers[None]["error"]["code"] == -32700  # the broken line, answered and passed over
    assert not answers[2]["result"].get("isError"), answers[2]
    assert (sandbox.root / "big.txt").read_text() == big


def test_on_files_rather_than_pipes_the_same_lines_get_the_same_answers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    requests, output = tmp_path / "requests.jsonl", tmp_path / "answers.jsonl"
    requests.write_bytes(
        _lines(INITIALIZE, INITIALIZED, "{not json", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    )
    with requests.open("rb") as stdin, output.open("wb") as stdout:
        done = subprocess.run(
            _command(sandbox),
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=server_env(sandbox.home),
            timeout=60,
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    answers = {answer.get("id"): answer for answer in map(json.loads, output.read_bytes().splitlines())}
    assert answers[None]["error"]["code"] == -32700
    assert answers[1]["result"]["serverInfo"]["name"] == "m2bridge"
