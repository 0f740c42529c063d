"""`m2_task` through a real MCP client: M2 agents with the server's tools, against the strict fake M2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from tests.fakes.minimax import CallTools, Reply, RequestInfo
from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of
from tests.support.sandbox import Sandbox


def first_user_text(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else " ".join(b.get("text", "") for b in content)


def agent_that_reads_then_answers(request: RequestInfo) -> CallTools | Reply:
    task = first_user_text(request.body)
    if not any(m["role"] == "assistant" for m in request.body["messages"]):
        return CallTools([("read_file", {"path": "hello.py"})], thinking=f"Read first for {task}.")
    return Reply(f"finished: {task}", thinking="The file says hello.")


async def test_four_m2_tasks_run_at_once_in_their_own_sessions(sandbox: Sandbox, fake_minimax: Any) -> None:
    fake_minimax.responder = agent_that_reads_then_answers
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    answers: dict[int, dict[str, Any]] = {}
    progress: dict[int, list[str]] = {n: [] for n in range(4)}

    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:

        async def run(n: int) -> None:
            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                progress[n].append(message or "")

            result = await client.call_tool("m2_task", {"task": f"task {n}"}, progress_callback=on_progress)
            assert not result.is_error, text_of(result)
            answers[n] = json.loads(text_of(result))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for n in range(4):
                    group.start_soon(run, n)

        assert {a["text"] for a in answers.values()} == {f"finished: task {n}" for n in range(4)}
        assert len({a["session_id"] for a in answers.values()}) == 4
        assert all(
            a["stop_reason"] == "end_turn" and a["usage"]["output_tokens"] > 0 for a in answers.values()
        )
        assert all(any("read_file" in m for m in messages) for messages in progress.values()), progress

        # A task continues its session: the fake checks that the earlier turns come back intact.
        follow = await client.call_tool(
            "m2_task", {"task": "task again", "session_id": answers[0]["session_id"]}
        )
        assert not follow.is_error, text_of(follow)
        assert json.loads(text_of(follow))["session_id"] == answers[0]["session_id"]

    sent_tools = {t["name"] for r in fake_minimax.requests for t in r.body.get("tools", [])}
    assert "read_file" in sent_tools and "m2_task" not in sent_tools


async def test_m2_task_under_read_only_is_absent_and_under_no_terminal_has_no_terminal(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("ok")
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env, "--no-terminal"), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "hello"})
        assert not result.is_error, text_of(result)
    sent_tools = {t["name"] for r in fake_minimax.requests for t in r.body.get("tools", [])}
    assert "read_file" in sent_tools
    assert not sent_tools & {"run_command", "start_process", "m2_task"}


async def test_m2_task_reports_an_unknown_session_clearly(sandbox: Sandbox, fake_minimax: Any) -> None:
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "x", "session_id": "zzzzzzzz"})
        assert result.is_error and "zzzzzzzz" in text_of(result)
        assert "print" in text_of(await client.call_tool("read_file", {"path": "hello.py"}))


# Issue 11, finding 7: m2_task continued a session of another workspace and sent its AGENTS.md.
MARKER = "AGENTS-MD-OF-ANOTHER-WORKSPACE"


def stored_session(home: Path, workspace: Path) -> str:
    from m2bridge.sessions import SessionStore

    store = SessionStore(home / "sessions.db")
    try:
        return store.create(workspace=str(workspace), protocol="anthropic", model="MiniMax-M2", title="t").id
    finally:
        store.close()


async def test_m2_task_refuses_a_session_whose_workspace_is_outside_its_roots_and_sends_nothing(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("should never be asked")
    (sandbox.outside / "AGENTS.md").write_text(MARKER)
    (sandbox.sibling / "AGENTS.md").write_text(MARKER)
    sandbox.home.mkdir()
    outside = stored_session(sandbox.home, sandbox.outside)
    sibling = stored_session(sandbox.home, sandbox.sibling)  # /repo-evil is not inside /repo
    link = sandbox.root / "link_out"  # a workspace stored through a link that leads out
    linked = stored_session(sandbox.home, link)
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        for session_id, workspace in ((outside, sandbox.outside), (sibling, sandbox.sibling), (linked, link)):
            for given in (session_id, session_id[:6]):
                result = await client.call_tool("m2_task", {"task": "go on", "session_id": given})
                text = text_of(result)
                assert result.is_error, text
                assert session_id in text and str(workspace) in text and str(sandbox.root) in text, text
                assert "outside this server's roots" in text and "--root" in text
    assert fake_minimax.requests == []


async def test_m2_task_continues_a_session_of_a_folder_inside_its_roots(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("continued")
    sandbox.home.mkdir()
    inside = stored_session(sandbox.home, sandbox.root / "sub")
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "go on", "session_id": inside})
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result))["session_id"] == inside


async def test_m2_task_continues_a_session_of_the_servers_second_root(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("continued")
    sandbox.home.mkdir()
    second = sandbox.outside  # outside the first root, but given as a root of its own
    session_id = stored_session(sandbox.home, second)
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root, second], env), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "go on", "session_id": session_id})
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result))["session_id"] == session_id


async def test_m2_task_rooted_in_a_subfolder_keeps_the_repositorys_agents_md_out_and_continues_its_session(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    # The repository's top level is outside the root: the new session belongs to the root itself.
    fake_minimax.responder = lambda request: Reply("ok")
    (sandbox.root / "AGENTS.md").write_text(MARKER)
    (sandbox.root / "sub" / "AGENTS.md").write_text("Instructions of the sub folder.")
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root / "sub"], env), "legacy") as client:
        first = await client.call_tool("m2_task", {"task": "hello"})
        assert not first.is_error, text_of(first)
        session_id = json.loads(text_of(first))["session_id"]
        again = await client.call_tool("m2_task", {"task": "again", "session_id": session_id})
        assert not again.is_error, text_of(again)
    sent = json.dumps([request.body for request in fake_minimax.requests])
    assert MARKER not in sent and "Instructions of the sub folder." in sent


async def test_m2_task_keeps_the_users_denied_tools_whatever_the_roots_project_file_says(
    sandbox: Sandbox, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("ok")
    denied = ["read_file", "run_command", "write_file", "edit_file"]
    (sandbox.home.parent / "config.toml").write_text(f"[tools]\ndeny = {json.dumps(denied)}\n")
    (sandbox.root / ".m2bridge.toml").write_text('[tools]\ndeny = []\nallow = ["run_command"]\n')
    env = server_env(sandbox.home, MINIMAX_API_KEY="test-key", MINIMAX_API_HOST=fake_minimax.host)
    async with stdio_client(stdio_params([sandbox.root], env), "legacy") as client:
        result = await client.call_tool("m2_task", {"task": "hello"})
        assert not result.is_error, text_of(result)
    sent_tools = {t["name"] for r in fake_minimax.requests for t in r.body.get("tools", [])}
    assert "search" in sent_tools and not sent_tools & set(denied), sent_tools
