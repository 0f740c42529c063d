"""`m2bridge acp` driven by a real ACP client that is not ours: the official TypeScript SDK
(`@agentclientprotocol/sdk`, tests/e2e/acp_ts/client.mjs) over the agent's stdio, against the strict fake
M2, through one whole story: initialize, a new session, an edit M2 asks permission for that goes through
the editor's files, a command in the editor's terminal, a turn cancelled mid-stream; then a session
started in `m2bridge chat -p` loaded into the editor and continued there, and continued once more back in
`m2bridge chat --continue`. The fake checks every request's history (thinking included) as it goes and
fails the test on any violation.

The client's npm packages are installed here with `npm ci` when tests/e2e/acp_ts/node_modules is missing
(.ci/run installs them before the slow group)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.acp_story import (
    CONVERSATION,
    EDITED,
    LONG_ANSWER,
    REPLAYED_KINDS,
    continue_in_chat,
    script_the_editors_session,
    start_in_chat,
)
from tests.support.env import ROOT, m2_env, make_project, run_cli
from tests.support.sent import tool_results

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CLIENT = ROOT / "tests" / "e2e" / "acp_ts"


def installed_client() -> Path:
    """client.mjs with its npm packages installed (`npm ci` from the committed lock file, once)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the official TypeScript ACP client (install Node.js)")
    if not (CLIENT / "node_modules" / "@agentclientprotocol" / "sdk" / "package.json").is_file():
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"npm ci in {CLIENT} failed:\n{proc.stdout}\n{proc.stderr}"
    return CLIENT / "client.mjs"


def run_client(
    client: Path, tmp_path: Path, name: str, repo: Path, env: dict[str, str], steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """One editor session: the TypeScript client starts `m2bridge acp` in `repo`, runs `steps`, and its
    report comes back (every update, permission request, file and terminal it saw)."""
    scenario = {
        "agent": {
            "command": sys.executable,
            "args": ["-m", "m2bridge", "acp", "--sandbox", "off"],
            # The checkout first: an editable install made before acp_agent existed does not map it.
            "env": {**env, "PYTHONPATH": str(ROOT)},
            "cwd": str(repo),
            "stderr": str(tmp_path / f"{name}-acp-stderr.log"),
        },
        "capabilities": {"fs": True, "terminal": True},
        "timeoutSeconds": 120,
        "steps": steps,
    }
    scenario_file, report_file = tmp_path / f"{name}-scenario.json", tmp_path / f"{name}-report.json"
    scenario_file.write_text(json.dumps(scenario))
    # The editor's own environment: no API key (the agent gets it through the scenario's env).
    editor_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["node", str(client), str(scenario_file), str(report_file)],
        cwd=CLIENT, env=editor_env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert report_file.is_file(), f"the client wrote no report: {proc.stdout}\n{proc.stderr}"
    report: dict[str, Any] = json.loads(report_file.read_text())
    log = (tmp_path / f"{name}-acp-stderr.log").read_text(errors="replace")
    assert proc.returncode == 0 and report["error"] is None, f"{report['error']}\n{proc.stderr}\n{log}"
    failed = [step for step in report["steps"] if step["error"] is not None]
    assert not failed, f"steps failed: {failed}\nagent log:\n{log}"
    assert report["sdkErrors"] == [], "the SDK refused messages (they must match the official schema)"
    assert report["agentExit"] == {"code": 0, "signal": None}, log
    return report


def updates(report: dict[str, Any], step: int) -> list[dict[str, Any]]:
    return [u["update"] for u in report["updates"] if u["step"] == step]


def kinds(report: dict[str, Any], step: int) -> list[str]:
    """The conversation's update kinds in one step, in arrival order, runs of one kind collapsed."""
    seen: list[str] = []
    for update in updates(report, step):
        if update["sessionUpdate"] not in CONVERSATION:
            continue
        if not seen or seen[-1] != update["sessionUpdate"]:
            seen.append(update["sessionUpdate"])
    return seen


def text_of(report: dict[str, Any], step: int, kind: str) -> str:
    return "".join(u["content"]["text"] for u in updates(report, step) if u["sessionUpdate"] == kind)


def test_the_official_typescript_client_drives_m2bridge_acp_through_the_whole_story(
    tmp_path: Path, fake_minimax: Any
) -> None:
    client = installed_client()
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    secret = env["MINIMAX_API_KEY"]

    # The editor's first session: an edit, a command, a turn cancelled mid-stream.
    script_the_editors_session(fake_minimax)
    first = run_client(client, tmp_path, "first", repo, env, [
        {"op": "initialize"},
        {"op": "newSession", "cwd": str(repo), "as": "editor"},
        {"op": "prompt", "session": "editor", "text": "make answer return 2", "permissions": ["allow_once"]},
        {"op": "prompt", "session": "editor", "text": "show me app.py", "permissions": ["allow_once"]},
        {"op": "prompt", "session": "editor", "text": "say a lot", "cancelAfter": "agent_thought_chunk"},
        {"op": "prompt", "session": "editor", "text": "in short?"},
    ])  # fmt: skip
    init, made, edit, command, cancelled, after = (step["response"] for step in first["steps"])

    assert init["protocolVersion"] == 1 and init["agentCapabilities"]["loadSession"] is True
    session_id = made["sessionId"]

    # The edit: thinking, the tool calls, permission asked and allowed, the file read and written through
    # the editor (fs/read_text_file, fs/write_text_file), the answer.
    assert edit["stopReason"] == "end_turn"
    assert kinds(first, 2) == [
        "agent_thought_chunk", "tool_call", "tool_call_update",
        "agent_thought_chunk", "tool_call", "tool_call_update",
        "agent_thought_chunk", "agent_message_chunk",
    ]  # fmt: skip
    thought = text_of(first, 2, "agent_thought_chunk")
    assert thought == "Look at the file first.Now change 1 to 2.Done editing."
    assert text_of(first, 2, "agent_message_chunk") == "Changed it to 2."
    edit_call = [u for u in updates(first, 2) if u["sessionUpdate"] == "tool_call"][1]
    assert edit_call["kind"] == "edit" and edit_call["locations"][0]["path"] == str(repo.resolve() / "app.py")
    ((asked),) = [p for p in first["permissions"] if p["step"] == 2]
    assert asked["sessionId"] == session_id and asked["toolCall"]["toolCallId"] == edit_call["toolCallId"]
    assert {o["kind"] for o in asked["options"]} == {"allow_once", "allow_always", "reject_once"}
    assert asked["answer"]["outcome"] == "selected"
    writes = [f for f in first["fs"] if f["op"] == "write"]
    assert writes == [
        {
            "step": 2,
            "op": "write",
            "sessionId": session_id,
            "path": str(repo.resolve() / "app.py"),
            "content": EDITED,
        }
    ]
    assert any(f["op"] == "read" and f["path"] == str(repo.resolve() / "app.py") for f in first["fs"])
    assert (repo / "app.py").read_text() == EDITED

    # The command ran in the editor's terminal (a real process the client started), with permission;
    # M2 got its output, and the API key never reached it.
    assert command["stopReason"] == "end_turn"
    assert [p["answer"]["outcome"] for p in first["permissions"] if p["step"] == 3] == ["selected"]
    (terminal,) = first["terminals"]
    assert terminal["step"] == 3 and terminal["sessionId"] == session_id
    assert "cat app.py" in " ".join([terminal["command"], *terminal["args"]])
    assert terminal["exitStatus"] == {"exitCode": 0, "signal": None}
    assert "return 2" in terminal["output"]
    assert {"create", "release"} <= set(terminal["calls"])
    assert secret not in json.dumps(terminal["env"])
    run_call = next(u for u in updates(first, 3) if u["sessionUpdate"] == "tool_call")
    assert run_call["kind"] == "execute"
    (ran,) = tool_results(fake_minimax.requests[4])[-1:]
    assert "return 2" in ran

    # Cancelled after the first thought: stopReason cancelled, and less than the whole answer arrived.
    assert cancelled["stopReason"] == "cancelled" and cancelled["cancelSent"] is True
    assert kinds(first, 4)[0] == "agent_thought_chunk"
    assert len(text_of(first, 4, "agent_message_chunk")) < len(LONG_ANSWER)
    exported = json.loads(run_cli(["sessions", "export", session_id, "--json"], env, repo).stdout)
    kept = [t["turn"] for t in exported["turns"] if t["turn"]["kind"] == "assistant"]
    assert [turn["incomplete"] for turn in kept][-2:] == [True, False]
    # The next turn goes on from what was kept (the fake checks the history it is sent).
    assert after["stopReason"] == "end_turn" and text_of(first, 5, "agent_message_chunk") == "In short: 2."

    # A session started in the terminal with `chat -p` ...
    chat_session = start_in_chat(fake_minimax, env, repo)

    # ... loaded into the editor: replayed as updates (the user's words, thinking, tool call, text),
    # then continued there.
    second = run_client(client, tmp_path, "second", repo, env, [
        {"op": "initialize"},
        {"op": "loadSession", "cwd": str(repo), "sessionId": chat_session, "as": "chat"},
        {"op": "prompt", "session": "chat", "text": "and now?"},
    ])  # fmt: skip
    assert kinds(second, 1) == REPLAYED_KINDS
    assert text_of(second, 1, "user_message_chunk") == "what does answer return?"
    assert text_of(second, 1, "agent_thought_chunk") == "Read it first.It returns 2."
    assert text_of(second, 1, "agent_message_chunk") == "answer() returns 2."
    assert {u["sessionId"] for u in second["updates"]} == {chat_session}
    assert second["steps"][2]["response"]["stopReason"] == "end_turn"
    assert text_of(second, 2, "agent_message_chunk") == "Still 2."

    # ... and continued once more back in the terminal, with the editor's turn in its history.
    continue_in_chat(fake_minimax, env, repo, chat_session)
    assert fake_minimax.violations == []
