"""Outside MCP servers from the user config join M2's tools in `m2bridge chat`, namespaced by server."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import ROOT, m2_env, make_project, run_json
from tests.support.sent import tool_results_sent


def write_config(tmp_path: Path, servers: dict[str, Any]) -> None:
    lines = []
    for name, entry in servers.items():
        lines.append(f"[mcpServers.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
    (tmp_path / "config.toml").write_text("\n".join(lines) + "\n")


NOTES = {"command": sys.executable, "args": [str(ROOT / "tests/support/notes_mcp_server.py")], "timeout": 30}


def test_an_outside_servers_tools_reach_m2_namespaced_and_run(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    write_config(tmp_path, {"notes": NOTES})
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("notes__lookup", {"word": "bridge"})]), Reply("A bridge is a thing."))
    code, out = run_json(["chat", "-p", "define bridge", "--json"], env, repo)
    assert code == 0, out
    assert out["tool_calls"] == [{"name": "notes__lookup", "ok": True}]
    assert any("definition of bridge" in r for r in tool_results_sent(fake_minimax))
    sent = {t["name"] for t in fake_minimax.requests[0].body["tools"]}
    assert {"notes__lookup", "notes__remember", "read_file"} <= sent


def test_an_outside_tool_not_marked_read_only_needs_approval(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    write_config(tmp_path, {"notes": NOTES})
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("notes__remember", {"text": "x"})]), Reply("Not allowed."))
    code, out = run_json(["chat", "-p", "remember x", "--json"], env, repo)
    assert code == 0 and out["tool_calls"] == [{"name": "notes__remember", "ok": False}]
    assert any("did not approve notes__remember" in r for r in tool_results_sent(fake_minimax))


def test_a_server_that_fails_to_start_is_reported_and_chat_goes_on(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    write_config(tmp_path, {"broken": {"command": "/nonexistent/server", "timeout": 5}, "notes": NOTES})
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("Hello."))
    from tests.support.env import run_cli

    proc = run_cli(["chat", "-p", "hi"], env, repo)
    assert proc.returncode == 0, proc.stderr
    assert "MCP server 'broken' was not loaded" in proc.stderr
    sent = {t["name"] for t in fake_minimax.requests[0].body["tools"]}
    assert "notes__lookup" in sent and not any(name.startswith("broken") for name in sent)
