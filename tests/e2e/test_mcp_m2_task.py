"""`m2_task` through a real MCP client: M2 agents with the server's tools, against the strict fake M2."""

from __future__ import annotations

import json
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
