"""Outside MCP servers from the user config join M2's tools in `m2bridge chat`, namespaced by server."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import ROOT, m2_env, make_project, run_cli, run_json
from tests.support.mcp_clients import http_server, server_env
from tests.support.sent import tool_results_sent
from tests.support.static_site import static_site


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
    proc = run_cli(["chat", "-p", "hi"], env, repo)
    assert proc.returncode == 0, proc.stderr
    assert "MCP server 'broken' was not loaded" in proc.stderr
    sent = {t["name"] for t in fake_minimax.requests[0].body["tools"]}
    assert "notes__lookup" in sent and not any(name.startswith("broken") for name in sent)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_outside_server_that_refuses_or_cannot_be_reached_says_what_to_fix_and_chat_goes_on(
    tmp_path: Path, fake_minimax: Any
) -> None:
    """Each failure names the url and the setting to change under [mcpServers.<name>] in the config
    file, never the token; the working servers still load and the chat answers."""
    repo = make_project(tmp_path)
    server_home = tmp_path / "server" / "home"
    server_home.mkdir(parents=True)
    with http_server([repo], server_env(server_home)) as mcp, static_site(tmp_path / "server") as site:
        wrong = "Bearer wrong-token-do-not-print"
        down = f"http://127.0.0.1:{_closed_port()}/mcp"
        nope = mcp.url.removesuffix("/mcp") + "/nope"
        config = tmp_path / "config.toml"
        config.write_text(
            f'[mcpServers.remote]\nurl = "{mcp.url}"\nheaders = {{Authorization = "{wrong}"}}\ntimeout = 20\n'
            f'[mcpServers.bare]\nurl = "{mcp.url}"\ntimeout = 20\n'
            f'[mcpServers.misplaced]\nurl = "{nope}"\nheaders = {{Authorization = "Bearer {mcp.token}"}}\n'
            f'[mcpServers.down]\nurl = "{down}"\ntimeout = 20\n'
            f'[mcpServers.website]\nurl = "{site}/"\ntimeout = 20\n'
            f'[mcpServers.good]\nurl = "{mcp.url}"\nheaders = {{Authorization = "Bearer {mcp.token}"}}\n'
        )
        env = m2_env(tmp_path, fake_minimax)
        fake_minimax.script(Reply("Hello."))
        proc = run_cli(["chat", "-p", "hi"], env, repo, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Hello." in proc.stdout
    lines = {line.split("'")[1]: line for line in proc.stderr.splitlines() if "was not loaded" in line}
    assert set(lines) == {"remote", "bare", "misplaced", "down", "website"}, proc.stderr
    assert (
        f"{mcp.url} refused the credentials (HTTP 401): check the Authorization header under "
        f"[mcpServers.remote] headers in {config}"
    ) in lines["remote"]
    assert "needs credentials (HTTP 401): add headers = {Authorization" in lines["bare"]
    assert (
        f"{nope} has no MCP endpoint there (HTTP 404): check url under [mcpServers.misplaced]"
        in (lines["misplaced"])
    )
    assert f"could not connect to {down}" in lines["down"] and "is the server running?" in lines["down"]
    assert "has no MCP endpoint there (HTTP 501)" in lines["website"]
    assert "Server returned an error response" not in proc.stderr
    assert "wrong-token" not in proc.stderr + proc.stdout and mcp.token not in proc.stderr + proc.stdout
    sent = {t["name"] for t in fake_minimax.requests[0].body["tools"]}
    assert "good__read_file" in sent and not any(n.split("__")[0] in lines for n in sent)
