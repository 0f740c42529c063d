"""Hostile and broken messages to `m2bridge lsp`: every well-formed request gets an answer (an error where
it must), nothing else hurts the server, and it keeps serving after each one."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import m2_env
from tests.support.lsp_editor import make_project
from tests.support.lsp_wire import RawLspPipe

# (what it is, the raw body, the id it must be answered with an error, or None when nothing is owed)
HOSTILE: list[tuple[str, bytes, int | None]] = [
    ("not json", b"{this is not json", None),
    ("invalid utf-8", b'{"jsonrpc":"2.0","id":1,"method":"m2/sessions"\xff\xfe}', None),
    ("a scalar", b"42", None),
    ("an array", b"[]", None),
    ("a batch", json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "m2/sessions"}]).encode(), None),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, None),
    ("wrong version", json.dumps({"jsonrpc": "1.0", "id": 2, "method": "m2/sessions"}).encode(), None),
    ("an object id", json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "m2/sessions"}).encode(), None),
    ("unknown method", json.dumps({"jsonrpc": "2.0", "id": 101, "method": "m2/nope"}).encode(), 101),
    (
        "standard params of the wrong type",
        json.dumps(
            {"jsonrpc": "2.0", "id": 102, "method": "textDocument/hover", "params": "garbage"}
        ).encode(),
        102,
    ),
    (
        "a prompt that is a number",
        json.dumps({"jsonrpc": "2.0", "id": 103, "method": "m2/chat", "params": {"prompt": 7}}).encode(),
        103,
    ),
    (
        "a session id that is a list",
        json.dumps({"jsonrpc": "2.0", "id": 104, "method": "m2/session", "params": {"id": [1]}}).encode(),
        104,
    ),
    (
        "an unknown command",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 105,
                "method": "workspace/executeCommand",
                "params": {"command": "rm.rf"},
            }
        ).encode(),
        105,
    ),
    (
        "a command with arguments of the wrong shape",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 106,
                "method": "workspace/executeCommand",
                "params": {"command": "m2.fix", "arguments": [1, 2, 3]},
            }
        ).encode(),
        106,
    ),
    (
        "didChange for a document never opened",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": "file:///nowhere.py", "version": 2},
                    "contentChanges": [{"text": "x"}],
                },
            }
        ).encode(),
        None,
    ),
    (
        "a selection with absurd numbers",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "m2/selection",
                "params": {
                    "uri": "file:///x.py",
                    "range": {"start": {"line": -1, "character": 10**30}, "end": {"line": 0, "character": 0}},
                },
            }
        ).encode(),
        None,
    ),
    (
        "a cancel for nothing",
        json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 999}}).encode(),
        None,
    ),
    (
        "a response nobody asked for",
        json.dumps({"jsonrpc": "2.0", "id": 555, "result": {"x": 1}}).encode(),
        None,
    ),
]


@pytest.fixture
def pipe(tmp_path: Path, fake_minimax: Any) -> Iterator[RawLspPipe]:
    repo = make_project(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "m2bridge", "lsp"],
        cwd=repo,
        env=m2_env(tmp_path, fake_minimax),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    raw = RawLspPipe(process)
    raw.send(
        {
            "id": 0,
            "method": "initialize",
            "params": {"processId": None, "rootUri": repo.as_uri(), "capabilities": {}},
        }
    )
    assert "result" in raw.answer_to(0)
    raw.send({"method": "initialized", "params": {}})
    try:
        yield raw
    finally:
        process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def test_hostile_messages_get_their_errors_and_the_server_keeps_serving(pipe: RawLspPipe) -> None:
    for number, (kind, body, owed) in enumerate(HOSTILE):
        pipe.send_bytes(body)
        if owed is not None:
            answer = pipe.answer_to(owed)
            assert "error" in answer and answer["error"]["code"] in (-32601, -32602), kind
        probe = 10_000 + number
        pipe.send({"id": probe, "method": "m2/sessions"})
        assert pipe.answer_to(probe).get("result") == [], f"server stopped serving after: {kind}"
    pipe.send({"id": 20_000, "method": "shutdown"})
    assert "result" in pipe.answer_to(20_000)
    pipe.send({"method": "exit"})
    assert pipe.process.wait(timeout=30) == 0
