"""`m2bridge chat -p` with the repo and terminal tools, against the strict fake M2 in every wire mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import MODES, m2_env, make_project, run_json
from tests.support.sent import tool_results_sent

EDIT = {"path": "app.py", "old_string": "return 1", "new_string": "return 2"}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_chat_with_yes_edits_a_file_through_the_tools_and_keeps_history_intact(
    tmp_path: Path, fake_minimax: Any, mode: str
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax, mode)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Look at the file first."),
        CallTools([("edit_file", EDIT)], thinking="Now change 1 to 2."),
        Reply("Changed it to 2.", thinking="Done."),
    )
    code, out = run_json(["chat", "-p", "make answer return 2", "--yes", "--json"], env, repo)
    assert code == 0, out
    assert out["tool_calls"] == [{"name": "read_file", "ok": True}, {"name": "edit_file", "ok": True}]
    assert (repo / "app.py").read_text() == "def answer():\n    return 2\n"
    results = tool_results_sent(fake_minimax)
    assert any("return 1" in r for r in results)
    assert any("+    return 2" in r for r in results)
    # The tools reach M2 with every request, so a history holding tool calls is always well-formed.
    for request in fake_minimax.requests:
        names = {t.get("name") or t.get("function", {}).get("name") for t in request.body.get("tools", [])}
        assert {"read_file", "edit_file", "run_command", "search", "git_status"} <= names


def test_chat_without_yes_refuses_the_edit_and_tells_the_model(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("edit_file", EDIT)]), Reply("I could not edit it."))
    code, out = run_json(["chat", "-p", "make answer return 2", "--json"], env, repo)
    assert code == 0
    assert out["tool_calls"] == [{"name": "edit_file", "ok": False}]
    assert (repo / "app.py").read_text() == "def answer():\n    return 1\n"
    assert any("did not approve edit_file" in r for r in tool_results_sent(fake_minimax))


def test_chat_runs_a_command_and_the_api_key_does_not_reach_it(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("run_command", {"command": "env"})]), Reply("ok"))
    code, _ = run_json(["chat", "-p", "show env", "--yes", "--json"], env, repo)
    assert code == 0
    results = tool_results_sent(fake_minimax)
    assert any("M2BRIDGE_HOME" in r for r in results)
    assert not any("test-key" in r or "MINIMAX_API_KEY" in r for r in results)
