"""Every command, run as a real process whose reader has gone (`m2bridge ... | head`), ends quietly: no
traceback, no "Exception ignored" at exit, and exit code 0 or 1 (1 once a write found the pipe closed).

The pipe's read end is closed before the process starts, so its first write fails every time: the
deterministic form of `| head` leaving early, whatever the size of the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import Reply
from tests.fakes.minimax.fake import FakeMiniMax
from tests.support.env import m2_env
from tests.support.mcp_clients import INITIALIZE_REQUEST

# Long enough that no buffer hides the closed pipe until exit.
ANSWER = "A long answer that fills more than one pipe write. " * 400

MCP_INITIALIZE = INITIALIZE_REQUEST
LSP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}


def lsp_frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def run_with_output_closed(
    args: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has left before the first byte
    try:
        return subprocess.run(
            [sys.executable, "-m", "m2bridge", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            input=stdin,
            env=env,
            cwd=cwd,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


class World:
    def __init__(self, fake: FakeMiniMax, root: Path) -> None:
        self.fake = fake
        self.root = root
        self.env = m2_env(root, fake)
        fake.script(Reply(ANSWER))
        seeded = subprocess.run(
            [sys.executable, "-m", "m2bridge", "chat", "-p", "the first question", "--json"],
            env=self.env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.session_id = json.loads(seeded.stdout)["session_id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    fake = FakeMiniMax()
    # Every model request (chat turns, doctor's key check) gets the long answer.
    fake.responder = lambda _info: Reply(ANSWER)
    with fake:
        yield World(fake, tmp_path_factory.mktemp("closed-early"))
    fake.fail_on_violations("fake MiniMax")


COMMANDS = {
    "help": ["--help"],
    "version": ["--version"],
    "chat-p": ["chat", "-p", "another question"],
    "chat-p-json": ["chat", "-p", "another question", "--json"],
    "sessions-list": ["sessions", "list"],
    "sessions-list-json": ["sessions", "list", "--json"],
    "sessions-show": ["sessions", "show", "{id}"],
    "sessions-show-json": ["sessions", "show", "{id}", "--json"],
    "sessions-export": ["sessions", "export", "{id}"],
    "sessions-fork": ["sessions", "fork", "{id}"],
    "doctor": ["doctor"],
    "mcp-help": ["mcp", "--help"],
    "mcp-config-help": ["mcp", "config", "--help"],
    "mcp-config-claude-desktop": ["mcp", "config", "--client", "claude-desktop"],
    "mcp-config-claude-code": ["mcp", "config", "--client", "claude-code"],
    "mcp-config-vscode": ["mcp", "config", "--client", "vscode", "--transport", "http"],
    "mcp-config-cursor": ["mcp", "config", "--client", "cursor"],
    "lsp-help": ["lsp", "--help"],
}


def assert_ended_quietly(proc: subprocess.CompletedProcess[bytes]) -> None:
    stderr = proc.stderr.decode(errors="replace")
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert "Broken pipe" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert proc.returncode in (0, 1), (proc.returncode, stderr)


@pytest.mark.parametrize("args", list(COMMANDS.values()), ids=list(COMMANDS))
def test_a_command_whose_reader_left_ends_without_a_traceback(world: World, args: list[str]) -> None:
    argv = [arg.replace("{id}", world.session_id) for arg in args]
    proc = run_with_output_closed(argv, world.env, world.root)
    assert_ended_quietly(proc)


def test_the_mcp_server_whose_client_closed_its_output_ends_without_a_traceback(world: World) -> None:
    request = (json.dumps(MCP_INITIALIZE) + "\n").encode()
    proc = run_with_output_closed(["mcp", "--root", str(world.root)], world.env, world.root, request)
    assert_ended_quietly(proc)


def test_the_language_server_whose_client_closed_its_output_ends_without_a_traceback(world: World) -> None:
    proc = run_with_output_closed(["lsp"], world.env, world.root, lsp_frame(LSP_INITIALIZE))
    assert_ended_quietly(proc)


def test_sessions_export_into_head_prints_the_start_and_exits_quietly(world: World) -> None:
    # The shell form from the issue, with a reader that takes one line and leaves.
    command = f"{sys.executable} -m m2bridge sessions export {world.session_id} | head -n 1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        env=world.env,
        cwd=world.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout == "{\n"
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
