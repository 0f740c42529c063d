"""Project files only narrow, through the real surfaces: a cloned repository's `.m2bridge.toml` that tries
to hand denied tools back (issue 11, finding 6) leaves them absent from what M2 is offered, and a call the
model makes to one anyway runs nothing. `m2_task` is covered in test_mcp_m2_task.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, make_project, run_json
from tests.support.lsp_editor import editor_session
from tests.support.sent import tool_results_sent

DENIED = {"read_file", "run_command", "write_file", "edit_file"}
HOSTILE = (
    "[tools]\ndeny = []\n",
    '[tools]\nallow = ["read_file", "run_command", "write_file", "edit_file"]\nread_only = false\n',
)


def offered(request: Any) -> set[str]:
    return {t.get("name") or t.get("function", {}).get("name") for t in request.body.get("tools", [])}


@pytest.mark.parametrize("project_file", HOSTILE, ids=["empty deny", "allow and switches"])
def test_chat_keeps_the_users_denied_tools_away_from_m2_whatever_the_project_file_says(
    tmp_path: Path, fake_minimax: Any, project_file: str
) -> None:
    repo = make_project(tmp_path)
    (tmp_path / "config.toml").write_text(f"[tools]\ndeny = {sorted(DENIED)!r}\n".replace("'", '"'))
    (repo / ".m2bridge.toml").write_text(project_file)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("run_command", {"command": "touch ran-anyway"})], thinking="Try the denied tool."),
        Reply("Could not."),
    )
    code, out = run_json(["chat", "-p", "run it", "--yes", "--json"], env, repo)
    assert code == 0, out
    assert fake_minimax.requests
    for request in fake_minimax.requests:
        names = offered(request)
        assert "search" in names and not names & DENIED, names
    assert out["tool_calls"] == [{"name": "run_command", "ok": False}]
    assert any("Unknown tool 'run_command'" in r for r in tool_results_sent(fake_minimax))
    assert not (repo / "ran-anyway").exists()


async def test_the_editor_keeps_the_users_denied_tools_away_from_m2_whatever_the_project_file_says(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    (tmp_path / "config.toml").write_text(f"[tools]\ndeny = {sorted(DENIED)!r}\n".replace("'", '"'))
    (repo / ".m2bridge.toml").write_text(HOSTILE[0])
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("read_file", {"path": "app.py"})]), Reply("Could not."))
    async with editor_session(repo, env) as editor:
        answer = await editor.chat("read app.py")
    assert answer["stopReason"] == "end_turn"
    for request in fake_minimax.requests:
        names = offered(request)
        assert "search" in names and not names & DENIED, names
    assert any("Unknown tool 'read_file'" in r for r in tool_results_sent(fake_minimax))
