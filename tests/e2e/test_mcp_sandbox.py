"""`m2bridge mcp` chooses its sandbox and says so (issue 16), through the real server over stdio:
`--sandbox read-only` runs run_command under it, `--sandbox off` announces itself, a machine without
bubblewrap (a PATH without it) lists no process tools and tells the client why, and `sandbox_fallback =
"off"` in the user config runs them unsandboxed, announced. A cloned repository's `.m2bridge.toml` saying
`sandbox = "off"` changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.no_bwrap import PROCESS_TOOLS, path_without_bwrap


@dataclass
class Server:
    process: subprocess.Popen[str]
    stderr_log: Path
    instructions: str
    next_id: int = 1

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        assert self.process.stdin is not None and self.process.stdout is not None
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        while True:
            line = self.process.stdout.readline()
            assert line, f"the server ended: {self.stderr_log.read_text()}"
            answer = json.loads(line)
            if answer.get("id") == self.next_id:
                return answer

    def tools(self) -> set[str]:
        return {tool["name"] for tool in self.request("tools/list", {})["result"]["tools"]}

    def run(self, command: str) -> tuple[bool, str]:
        """Whether the command succeeded (a failing command is a result, not a tool error), and the text."""
        call = {"name": "run_command", "arguments": {"command": command}}
        result = self.request("tools/call", call)["result"]
        text = "\n".join(c.get("text", "") for c in result["content"])
        return not result.get("isError", False) and text.startswith("exit code 0;"), text

    @property
    def stderr(self) -> str:
        return self.stderr_log.read_text()

    @property
    def notices(self) -> list[str]:
        """What the server said about the sandbox on stderr (the test's folder name may hold the word)."""
        return [
            line for line in self.stderr.splitlines() if line.startswith("m2bridge: ") and "sandbox" in line
        ]


@dataclass
class Machine:
    root: Path
    outside: Path
    env: dict[str, str]
    config: Path

    def without_bwrap(self) -> None:
        self.env["PATH"] = path_without_bwrap(self.root.parent / "bin-without-bwrap", self.env["PATH"])


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "M2BRIDGE_HOME": str(tmp_path / "home"),
        "M2BRIDGE_CONFIG": str(tmp_path / "config.toml"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return Machine(root, outside, env, tmp_path / "config.toml")


@contextmanager
def serve(machine: Machine, *flags: str) -> Generator[Server]:
    log = machine.root.parent / f"stderr-{len(list(machine.root.parent.glob('stderr-*')))}.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "m2bridge", "mcp", "--root", str(machine.root), *flags],
            env=machine.env, cwd=machine.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=sink, text=True,
        )  # fmt: skip
    server = Server(process, log, "")
    try:
        init = server.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        )
        server.instructions = init["result"].get("instructions", "")
        assert process.stdin is not None
        process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        process.stdin.flush()
        yield server
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_a_read_only_sandbox_lists_run_command_and_refuses_a_write_in_the_root(machine: Machine) -> None:
    with serve(machine, "--sandbox", "read-only") as server:
        assert server.tools() >= PROCESS_TOOLS
        ok, text = server.run("cat .git/HEAD")
        assert ok and "ref: refs/heads/" in text
        ok, text = server.run("echo planted > planted.txt")
        assert not ok, text
    assert not (machine.root / "planted.txt").exists()
    assert server.notices == []


def test_the_default_sandbox_writes_in_the_root_and_nowhere_else(machine: Machine) -> None:
    with serve(machine) as server:
        ok, text = server.run(f"echo in > made.txt && echo out > {machine.outside / 'escaped.txt'}")
    assert (machine.root / "made.txt").read_text() == "in\n"
    assert not ok and not (machine.outside / "escaped.txt").exists(), text


def test_a_cloned_repos_project_file_saying_sandbox_off_changes_nothing(machine: Machine) -> None:
    (machine.root / ".m2bridge.toml").write_text(
        'sandbox = "off"\nallow_network = true\nsandbox_fallback = "off"\n'
    )
    with serve(machine) as server:
        ok, text = server.run(f"echo out > {machine.outside / 'escaped.txt'}")
    assert not ok and not (machine.outside / "escaped.txt").exists(), text
    assert "'sandbox' ignored: the sandbox is chosen only in your user config.toml" in server.stderr
    assert "sandbox off" not in server.stderr


def test_sandbox_off_announces_itself_once_on_stderr_and_runs_as_the_user(machine: Machine) -> None:
    with serve(machine, "--sandbox", "off") as server:
        assert server.tools() >= PROCESS_TOOLS
        ok, text = server.run(f"echo out > {machine.outside / 'allowed.txt'}")
    assert ok, text
    assert (machine.outside / "allowed.txt").exists()
    [notice] = server.notices
    assert "off" in notice, server.stderr


def test_without_bubblewrap_and_no_fallback_the_process_tools_are_absent_and_the_client_is_told_why(
    machine: Machine,
) -> None:
    machine.without_bwrap()
    with serve(machine) as server:
        tools = server.tools()
        refused = server.request("tools/call", {"name": "run_command", "arguments": {"command": "true"}})
    assert not tools & PROCESS_TOOLS, tools
    assert {"read_file", "write_file", "git_status"} <= tools
    assert "run_command" in server.instructions and "sandbox" in server.instructions
    assert "sudo apt-get install bubblewrap" in server.instructions
    assert refused["result"]["isError"] is True
    [notice] = server.notices
    assert "sudo apt-get install bubblewrap" in notice, server.stderr


def test_without_bubblewrap_the_users_fallback_runs_commands_unsandboxed_and_says_so(
    machine: Machine,
) -> None:
    machine.config.write_text('sandbox_fallback = "off"\n')
    machine.without_bwrap()
    with serve(machine) as server:
        assert server.tools() >= PROCESS_TOOLS
        ok, text = server.run(f"echo out > {machine.outside / 'unsandboxed.txt'}")
    assert ok and (machine.outside / "unsandboxed.txt").exists(), text
    assert "run_command" not in server.instructions
    [notice] = server.notices
    assert "unsandboxed" in notice, server.stderr


def test_with_sandbox_off_nothing_is_probed_or_missing_even_without_bubblewrap(machine: Machine) -> None:
    machine.without_bwrap()
    with serve(machine, "--sandbox", "off") as server:
        assert server.tools() >= PROCESS_TOOLS
    assert "bubblewrap" not in server.instructions


def test_an_unknown_sandbox_is_refused_naming_the_choices(machine: Machine) -> None:
    flag = subprocess.run(
        [sys.executable, "-m", "m2bridge", "mcp", "--sandbox", "none"],
        env=machine.env, cwd=machine.root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert flag.returncode == 2
    assert "invalid choice: 'none'" in flag.stderr and "workspace-write" in flag.stderr
    machine.config.write_text('sandbox = "none"\n')
    config = subprocess.run(
        [sys.executable, "-m", "m2bridge", "mcp"],
        env=machine.env, cwd=machine.root, capture_output=True, text=True, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert config.returncode == 1
    assert 'sandbox must be one of "off", "read-only", "workspace-write"' in config.stderr
