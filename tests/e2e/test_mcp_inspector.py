"""The MCP Inspector's command-line mode (npm), a third-party client, against `m2bridge mcp` over stdio.

`.ci/run` installs the Inspector into .ci/.inspector before the slow group; `scripts/inspector` does the
same by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.env import ROOT
from tests.support.mcp_clients import server_env
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.slow

INSPECTOR = ROOT / ".ci" / ".inspector" / "node_modules" / ".bin" / "mcp-inspector"


def inspect(sandbox: Sandbox, *method: str) -> dict:
    if not INSPECTOR.exists():
        pytest.fail(f"the MCP Inspector is not installed at {INSPECTOR}; run scripts/inspector")
    command = [str(INSPECTOR), "--cli", sys.executable, "-m", "m2bridge", "mcp", "--root", str(sandbox.root)]
    env = {**server_env(sandbox.home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [*command, *method], env=env, cwd=sandbox.root, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_inspector_lists_every_tool(sandbox: Sandbox) -> None:
    listed = inspect(sandbox, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}
    assert {"read_file", "search", "edit_file", "run_command", "git_log", "m2_task"} <= names


def test_the_inspector_calls_read_file_and_search(sandbox: Sandbox) -> None:
    call = ("--method", "tools/call", "--tool-name")
    read = inspect(sandbox, *call, "read_file", "--tool-arg", "path=hello.py")
    assert not read.get("isError") and "print('hello')" in read["content"][0]["text"]
    found = inspect(sandbox, *call, "search", "--tool-arg", "pattern=hel+o")
    assert not found.get("isError") and "hello.py" in found["content"][0]["text"]
    escape = inspect(sandbox, *call, "read_file", "--tool-arg", "path=../outside/secret.txt")
    assert escape.get("isError") is True
