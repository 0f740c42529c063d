"""Every tool through a real MCP client: the SDK's, over stdio and over HTTP, in both protocol modes."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client

from tests.support.mcp_clients import (
    PROTOCOL_MODES,
    http_client,
    http_server,
    server_env,
    stdio_client,
    stdio_params,
    text_of,
)
from tests.support.sandbox import Sandbox, git

ALL_TOOLS = {
    "read_file", "write_file", "edit_file", "list_dir", "find_files", "search",
    "git_status", "git_diff", "git_log", "git_show", "git_blame",
    "run_command", "start_process", "read_process", "write_process", "kill_process", "list_processes",
    "m2_task",
    "text_to_image", "generate_video", "query_video_generation", "text_to_audio", "list_voices",
    "voice_clone", "voice_design", "music_generation",
}  # fmt: skip
READ_ONLY_TOOLS = {
    "read_file", "list_dir", "find_files", "search",
    "git_status", "git_diff", "git_log", "git_show", "git_blame",
    "list_voices", "query_video_generation",
}  # fmt: skip


@asynccontextmanager
async def connect(transport: str, mode: str, sandbox: Sandbox, *flags: str) -> AsyncIterator[Client]:
    env = server_env(sandbox.home)
    if transport == "stdio":
        async with stdio_client(stdio_params([sandbox.root], env, *flags), mode) as client:
            yield client
    else:
        with http_server([sandbox.root], env, *flags) as server:
            async with http_client(server, mode) as client:
                yield client


async def call(client: Client, name: str, **arguments: object) -> str:
    result = await client.call_tool(name, arguments)
    text = text_of(result)
    assert not result.is_error, f"{name} failed: {text}"
    return text


@pytest.mark.parametrize("mode", PROTOCOL_MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_real_client_runs_every_tool(sandbox: Sandbox, transport: str, mode: str) -> None:
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with connect(transport, mode, sandbox) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(listed) == ALL_TOOLS
        assert listed["read_file"].annotations.read_only_hint is True
        assert listed["edit_file"].annotations.destructive_hint is True
        assert listed["read_file"].input_schema["required"] == ["path"]

        assert "print('hello')" in await call(client, "read_file", path="hello.py")
        assert "created" in await call(client, "write_file", path="new.txt", content="alpha\nbeta\n")
        assert "+gamma" in await call(
            client, "edit_file", path="new.txt", old_string="beta", new_string="gamma"
        )
        assert "sub/" in await call(client, "list_dir", path=".")
        assert "sub/notes.md" in await call(client, "find_files", pattern="*.md")
        assert "new.txt" in await call(client, "search", pattern="gam+a")

        assert "new.txt" in await call(client, "git_status", repo_path=".")
        git(sandbox.root, "add", "new.txt")
        git(sandbox.root, "commit", "-q", "-m", "second")
        (sandbox.root / "hello.py").write_text("print('changed')\n")
        assert "+print('changed')" in await call(client, "git_diff", repo_path=".")
        assert "second" in await call(client, "git_log", repo_path=".")
        assert "gamma" in await call(client, "git_show", repo_path=".", revision="HEAD")
        assert "gamma" in await call(client, "git_blame", repo_path=".", path="new.txt")

        ran = await client.call_tool(
            "run_command", {"command": "sleep 2.5; echo done-$((20+22))"}, progress_callback=on_progress
        )
        assert not ran.is_error and "done-42" in text_of(ran)
        # A long output comes back cut, and the whole is in a spill file that read_file can page.
        long = await call(client, "run_command", command="seq 1 200000")
        spilled = re.search(r"whole output in (\S+\.txt)", long).group(1)
        assert "200000" in await call(client, "read_file", path=spilled, offset=199_999, limit=5)
        refused = await client.call_tool("write_file", {"path": spilled, "content": "x"})
        assert refused.is_error and "read-only" in text_of(refused)
        started = await call(client, "start_process", command="python3 -q -i", wait_for=">>>")
        process_id = re.search(r"\b(p\d+)\b", started).group(1)
        await call(client, "write_process", id=process_id, input="6*7")
        assert "42" in await call(client, "read_process", id=process_id, wait_for="42")
        assert process_id in await call(client, "list_processes")
        await call(client, "kill_process", id=process_id)

        no_key = await client.call_tool("m2_task", {"task": "say hi"})
        assert no_key.is_error and "MINIMAX_API_KEY" in text_of(no_key)
    assert progress, "run_command sent no progress notification"


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_read_only_lists_only_reading_tools_and_no_terminal_drops_the_terminal(
    sandbox: Sandbox, transport: str
) -> None:
    async with connect(transport, "legacy", sandbox, "--read-only") as client:
        assert {t.name for t in (await client.list_tools()).tools} == READ_ONLY_TOOLS
        refused = await client.call_tool("write_file", {"path": "x.txt", "content": "x"})
        assert refused.is_error
    assert not (sandbox.root / "x.txt").exists()
    async with connect(transport, "legacy", sandbox, "--no-terminal") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "run_command" not in names and "start_process" not in names
        assert {"write_file", "edit_file", "m2_task"} <= names


async def test_a_bad_argument_is_an_error_result_not_a_crash(sandbox: Sandbox) -> None:
    async with connect("stdio", "legacy", sandbox) as client:
        bad = await client.call_tool("read_file", {"path": 42})
        assert bad.is_error
        missing = await client.call_tool("edit_file", {"path": "hello.py"})
        assert missing.is_error and "old_string" in text_of(missing)
        # The tool's own wording, not the SDK's raw pydantic text naming an internal model.
        assert text_of(bad).startswith("read_file: invalid arguments: path:"), text_of(bad)
        assert "pydantic.dev" not in text_of(missing) and "Arguments" not in text_of(missing)
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert listed["edit_file"].input_schema["required"] == ["path", "old_string", "new_string"]
        assert listed["edit_file"].input_schema["additionalProperties"] is False
        assert "print" in await call(client, "read_file", path="hello.py")


def test_mcp_config_prints_a_ready_config_for_every_client(tmp_path: Path) -> None:
    from tests.support.env import run_cli

    env = server_env(tmp_path / "home")
    for client in ("claude-desktop", "vscode", "cursor"):
        proc = run_cli(["mcp", "config", "--client", client, "--root", str(tmp_path)], env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        config = json.loads(proc.stdout)
        entry = (config.get("mcpServers") or config["servers"])["m2bridge"]
        assert Path(entry["command"]).exists() and entry["args"][:1] == ["mcp"]
        assert str(tmp_path) in entry["args"]
    proc = run_cli(["mcp", "config", "--client", "vscode", "--transport", "http"], env, tmp_path)
    entry = json.loads(proc.stdout)["servers"]["m2bridge"]
    token = (tmp_path / "home" / "mcp-http-token").read_text().strip()
    assert entry["url"].endswith("/mcp") and entry["headers"]["Authorization"] == f"Bearer {token}"
    proc = run_cli(["mcp", "config", "--client", "claude-code"], env, tmp_path)
    assert proc.stdout.startswith("claude mcp add m2bridge -- ")


def test_mcp_config_with_an_unusable_token_file_says_what_to_fix_without_a_traceback(tmp_path: Path) -> None:
    from tests.support.env import run_cli

    home = tmp_path / "home"
    (home / "mcp-http-token").mkdir(parents=True)  # a folder where the token file belongs
    proc = run_cli(["mcp", "config", "--client", "vscode", "--transport", "http"], server_env(home), tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "m2bridge mcp config: " in proc.stderr and "mcp-http-token" in proc.stderr


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits for its parent to collect it.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


async def _start_sleeper(client: Client) -> int:
    started = await call(client, "start_process", command="exec sleep 300", timeout=1)
    return int(re.search(r"pid (\d+)", started).group(1))


async def test_processes_die_with_the_server_when_the_stdio_client_goes_away(sandbox: Sandbox) -> None:
    async with connect("stdio", "legacy", sandbox) as client:
        pid = await _start_sleeper(client)
        assert _alive(pid)
    for _ in range(100):
        if not _alive(pid):
            break
        await anyio.sleep(0.05)
    assert not _alive(pid)


async def test_processes_die_when_the_http_server_is_terminated(sandbox: Sandbox) -> None:
    with http_server([sandbox.root], server_env(sandbox.home)) as server:
        async with http_client(server, "legacy") as client:
            pid = await _start_sleeper(client)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(10) == 0
    assert not _alive(pid)
    log = "".join(p.read_text() for p in sandbox.base.glob("mcp-http-*.log"))
    assert "Traceback" not in log
