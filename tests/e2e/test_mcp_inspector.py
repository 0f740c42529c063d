"""MCP Inspector 2's command-line mode (npm), a third-party client, against `m2bridge mcp` over stdio and over
streamable HTTP with the bearer token, in its default configuration.

The Inspector announces the roots capability with an empty list unless it is given roots; these tests give
it none, as a user who just points it at the server would, and expect the tools to work on `--root`.
`.ci/run` installs the Inspector (on the Node from scripts/node-current) before the slow group;
`scripts/inspector` does the same by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import ROOT
from tests.support.mcp_clients import http_server, server_env
from tests.support.sandbox import SECRET, Sandbox

pytestmark = pytest.mark.slow

INSPECTOR = ROOT / ".ci" / ".inspector" / "mcp-inspector"

# The Inspector CLI's exit codes (its --help): a tool answer with isError, and a refused authorization.
EXIT_TOOL_IS_ERROR = 5
EXIT_AUTH_REQUIRED = 3


@dataclass(frozen=True)
class Inspector:
    """One way to reach the server: the Inspector options and target that name it."""

    transport: str
    options: tuple[str, ...]
    target: tuple[str, ...]
    home: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(INSPECTOR), "--cli", "--format", "json", *self.options]
        # HOME in the sandbox: the Inspector keeps a catalog and OAuth state under ~/.mcp-inspector.
        # stdin is never a terminal, so a refused token cannot start an interactive OAuth login.
        return subprocess.run(
            [*command, *args, "--", *self.target],
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.home)},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90,
        )  # fmt: skip

    def result(self, *args: str, expect_exit: int = 0) -> dict[str, Any]:
        proc = self.run(*args)
        assert proc.returncode == expect_exit, (
            f"Inspector over {self.transport} exited {proc.returncode}: {proc.stdout} {proc.stderr}"
        )
        return json.loads(proc.stdout)["result"]

    def call(self, tool: str, **arguments: object) -> str:
        """The text of a tool call that must succeed; a failure shows the tool's own message."""
        proc = self.run(
            "--method", "tools/call", "--tool-name", tool, "--tool-args-json", json.dumps(arguments)
        )
        shown = f"{tool} through the Inspector over {self.transport} (exit {proc.returncode}): "
        assert proc.stdout.strip(), shown + proc.stderr.strip()
        result = json.loads(proc.stdout)["result"]
        text = "\n".join(item.get("text", "") for item in result.get("content", []))
        assert proc.returncode == 0 and not result.get("isError"), shown + text
        return text


@pytest.fixture
def repo(sandbox: Sandbox) -> Sandbox:
    """The sandbox's git repository with one file changed and not committed, for git_status to show."""
    (sandbox.root / "sub" / "notes.md").write_text("# notes\nchanged by the test\n")
    return sandbox


@pytest.fixture(params=["stdio", "http"])
def inspector(request: pytest.FixtureRequest, repo: Sandbox) -> Iterator[Inspector]:
    if not INSPECTOR.exists():
        pytest.fail(f"the MCP Inspector is not installed at {INSPECTOR}; run scripts/inspector")
    env = {**server_env(repo.home), "PYTHONPATH": str(ROOT)}
    if request.param == "stdio":
        # The Inspector passes the server only PATH, HOME and a few more of its own variables; -e adds ours.
        pairs = [
            item
            for key, value in env.items()
            if key not in ("PATH", "HOME")
            for item in ("-e", f"{key}={value}")
        ]
        target = (sys.executable, "-m", "m2bridge", "mcp", "--root", str(repo.root))
        yield Inspector("stdio", (*pairs, "--cwd", str(repo.root)), target, repo.base)
        return
    with http_server([repo.root], env) as server:
        header = ("--header", f"Authorization: Bearer {server.token}")
        yield Inspector("http", header, (server.url,), repo.base)


def test_the_inspector_lists_every_tool(inspector: Inspector) -> None:
    names = {tool["name"] for tool in inspector.result("--method", "tools/list")["tools"]}
    assert {"read_file", "search", "git_status", "run_command", "edit_file", "m2_task"} <= names


def test_read_file_through_the_inspector_returns_the_file(inspector: Inspector) -> None:
    assert "print('hello')" in inspector.call("read_file", path="hello.py")


def test_search_through_the_inspector_finds_the_line(inspector: Inspector) -> None:
    assert "hello.py:1:" in inspector.call("search", pattern="hel+o")


def test_git_status_through_the_inspector_shows_the_uncommitted_change(
    inspector: Inspector, repo: Sandbox
) -> None:
    status = inspector.call("git_status")
    assert "On branch main" in status and "modified:   sub/notes.md" in status


def test_run_command_through_the_inspector_runs_in_the_root(inspector: Inspector, repo: Sandbox) -> None:
    output = inspector.call("run_command", command="git rev-parse --show-toplevel && echo from-the-inspector")
    assert "exit code 0" in output and str(repo.root) in output and "from-the-inspector" in output


def test_a_path_outside_the_root_is_refused_through_the_inspector(inspector: Inspector) -> None:
    args = ("--method", "tools/call", "--tool-name", "read_file", "--tool-args-json")
    refused = inspector.result(
        *args, json.dumps({"path": "../outside/secret.txt"}), expect_exit=EXIT_TOOL_IS_ERROR
    )
    assert refused["isError"] is True and SECRET not in json.dumps(refused)


def test_the_inspector_in_the_2026_protocol_era_reads_a_file(inspector: Inspector) -> None:
    # Legacy (initialize) is the Inspector's default; `modern` speaks 2026-07-28 with no handshake.
    proc = inspector.run(
        "--protocol-era", "modern", "--method", "tools/call", "--tool-name", "read_file",
        "--tool-args-json", json.dumps({"path": "hello.py"}),
    )  # fmt: skip
    assert proc.returncode == 0, f"{proc.stdout} {proc.stderr}"
    result = json.loads(proc.stdout)["result"]
    assert not result.get("isError") and "print('hello')" in result["content"][0]["text"]


def test_the_inspector_with_a_wrong_token_is_refused(repo: Sandbox) -> None:
    if not INSPECTOR.exists():
        pytest.fail(f"the MCP Inspector is not installed at {INSPECTOR}; run scripts/inspector")
    with http_server([repo.root], server_env(repo.home)) as server:
        # --stored-auth-only: no OAuth attempt, so the server's own 401 answer reaches the output.
        options = ("--header", "Authorization: Bearer wrong", "--stored-auth-only")
        proc = Inspector("http", options, (server.url,), repo.base).run("--method", "tools/list")
    assert proc.returncode == EXIT_AUTH_REQUIRED, f"{proc.stdout} {proc.stderr}"
    assert "unauthorized" in proc.stderr and '"tools"' not in proc.stdout
