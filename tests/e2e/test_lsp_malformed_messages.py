"""Hostile and broken messages to `m2bridge lsp`: every well-formed request gets an answer (an error where
it must), nothing else hurts the server, and it keeps serving after each one."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import m2_env
from tests.support.lsp_editor import make_project
from tests.support.lsp_wire import RawLspPipe, frame

PARSE_ERROR = [-32700]
INVALID_REQUEST = [-32600]
BAD_CALL = [-32601, -32602]
# A body no id can be read from is answered with a null id.
NULL = None

# (what it is, the raw body, what is owed: nothing, or (the id of the error answer, its allowed codes))
HOSTILE: list[tuple[str, bytes, tuple[int | None, list[int]] | None]] = [
    ("not json", b"{this is not json", (NULL, PARSE_ERROR)),
    ("invalid utf-8", b'{"jsonrpc":"2.0","id":1,"method":"m2/sessions"\xff\xfe}', (NULL, PARSE_ERROR)),
    ("an empty body", b"", (NULL, PARSE_ERROR)),
    ("a scalar", b"42", (NULL, INVALID_REQUEST)),
    ("an array", b"[]", (NULL, INVALID_REQUEST)),
    ("an object without jsonrpc", b'{"id": 7, "method": "m2/sessions"}', (NULL, INVALID_REQUEST)),
    (
        "a batch",
        json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "m2/sessions"}]).encode(),
        (NULL, INVALID_REQUEST),
    ),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, (NULL, PARSE_ERROR)),
    ("wrong version", json.dumps({"jsonrpc": "1.0", "id": 2, "method": "m2/sessions"}).encode(), None),
    ("an object id", json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "m2/sessions"}).encode(), None),
    (
        "unknown method",
        json.dumps({"jsonrpc": "2.0", "id": 101, "method": "m2/nope"}).encode(),
        (101, BAD_CALL),
    ),
    (
        "standard params of the wrong type",
        json.dumps(
            {"jsonrpc": "2.0", "id": 102, "method": "textDocument/hover", "params": "garbage"}
        ).encode(),
        (102, BAD_CALL),
    ),
    (
        "a prompt that is a number",
        json.dumps({"jsonrpc": "2.0", "id": 103, "method": "m2/chat", "params": {"prompt": 7}}).encode(),
        (103, BAD_CALL),
    ),
    (
        "a session id that is a list",
        json.dumps({"jsonrpc": "2.0", "id": 104, "method": "m2/session", "params": {"id": [1]}}).encode(),
        (104, BAD_CALL),
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
        (105, BAD_CALL),
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
        (106, BAD_CALL),
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
    # stderr goes to a file, not a pipe: nobody drains a pipe, and the tests read what the server logged.
    with (tmp_path / "lsp-stderr.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "m2bridge", "lsp"],
            cwd=repo,
            env=m2_env(tmp_path, fake_minimax),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
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
            owed_id, codes = owed
            answer = pipe.answer_to(owed_id)
            assert "error" in answer and answer["error"]["code"] in codes, (kind, answer)
        probe = 10_000 + number
        pipe.send({"id": probe, "method": "m2/sessions"})
        assert pipe.answer_to(probe).get("result") == [], f"server stopped serving after: {kind}"
    pipe.send({"id": 20_000, "method": "shutdown"})
    assert "result" in pipe.answer_to(20_000)
    pipe.send({"method": "exit"})
    assert pipe.process.wait(timeout=30) == 0


def _body(request_id: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "m2/sessions"}).encode()


# (what it is, the raw bytes sent before a good frame, what the server's log must say about it)
BROKEN_FRAMES: list[tuple[str, bytes, str]] = [
    ("a length that is not a number", b"Content-Length: abc\r\n\r\n" + _body(1), "is not a number"),
    ("a negative length", b"Content-Length: -5\r\n\r\n" + _body(2), "is not a number"),
    (
        "a header block without Content-Length",
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + _body(3),
        "without Content-Length",
    ),
    ("a length beyond any sane message", b"Content-Length: 99999999999999\r\n\r\n" + _body(4), "limit"),
    ("a length far beyond int64", b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n" + _body(5), "limit"),
    ("a length one byte over the limit", b"Content-Length: 67108865\r\n\r\n" + _body(6), "limit"),
    (
        "a non-ASCII garbage header line",
        b"\xff\xfe\x00 g\xc3\xa4rbage \x1b[2J\r\n\r\n" + _body(7),
        "Name: value",
    ),
    ("a header line that never ends", b"X-Junk: " + b"x" * 100_000, "longer than"),
    ("two Content-Length headers", b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n" + _body(8), "two"),
    ("only a blank line and garbage", b"\r\n\r\ngarbage without any header\r\n", "Name: value"),
]


def test_a_malformed_frame_costs_one_message_and_the_server_keeps_serving(
    pipe: RawLspPipe, tmp_path: Path
) -> None:
    log = tmp_path / "lsp-stderr.log"
    for number, (kind, raw, logged) in enumerate(BROKEN_FRAMES):
        seen = log.stat().st_size
        pipe.send_raw(raw)
        probe = 30_000 + number
        pipe.send({"id": probe, "method": "m2/sessions"})
        try:
            answer = pipe.answer_to(probe, timeout=10)
        except queue.Empty as err:
            raise AssertionError(f"no answer after {kind}: the server went deaf") from err
        assert answer.get("result") == [], kind
        said = log.read_bytes()[seen:].decode(errors="replace")
        assert "dropped a malformed message" in said and logged in said, (
            f"no reason logged for {kind}: {said}"
        )
    pipe.send({"id": 40_000, "method": "shutdown"})
    assert "result" in pipe.answer_to(40_000)
    pipe.send({"method": "exit"})
    assert pipe.process.wait(timeout=30) == 0


def test_a_length_shorter_than_the_body_gets_a_parse_error_and_the_rest_is_skipped(pipe: RawLspPipe) -> None:
    body = _body(50_001)
    pipe.send_raw(b"Content-Length: 10\r\n\r\n" + body)
    answer = pipe.answer_to(None)
    assert answer["error"]["code"] == -32700 and answer["id"] is None
    pipe.send({"id": 50_002, "method": "m2/sessions"})
    assert pipe.answer_to(50_002).get("result") == []


def test_bare_line_feeds_and_extra_headers_are_still_read(pipe: RawLspPipe) -> None:
    body = _body(50_003)
    pipe.send_raw(b"content-length:  %d\nContent-Type: application/vscode-jsonrpc\n\n" % len(body) + body)
    assert pipe.answer_to(50_003).get("result") == []
    pipe.send_raw(b"\r\n" + frame(_body(50_004)))
    assert pipe.answer_to(50_004).get("result") == []


def test_input_ending_inside_a_malformed_frame_ends_the_server_cleanly(pipe: RawLspPipe) -> None:
    pipe.send_raw(b"Content-Length: abc\r\n\r\n{half a body")
    stdin = pipe.process.stdin
    assert stdin is not None
    stdin.close()
    assert pipe.process.wait(timeout=30) == 0
