"""`m2_task` runs through the conversation service: its answer is the snake_case turn result of
`chat --json`, and every task of a server shares one model client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_tools.m2task import M2Task
from mcp_tools.toolkit import ToolOptions, open_toolset
from tests.fakes.minimax import Reply
from tests.support.env import m2_env, settings_for

CHAT_JSON_KEYS = [
    "session_id",
    "text",
    "stop_reason",
    "incomplete",
    "steps",
    "usage",
    "context_tokens",
    "tool_calls",
    "error",
    "compactions",
]


@pytest.fixture
async def task(tmp_path: Path, fake_minimax: Any) -> AsyncIterator[M2Task]:
    root = (tmp_path / "root").resolve()
    root.mkdir()
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    toolset = open_toolset(ToolOptions(roots=[root], home=settings.home))
    m2_task = M2Task(settings, toolset.tools, toolset.context)
    try:
        yield m2_task
    finally:
        await m2_task.aclose()
        await toolset.aclose()


async def test_m2_task_answers_with_the_snake_case_turn_result(task: M2Task, fake_minimax: Any) -> None:
    fake_minimax.responder = lambda request: Reply("done")
    outcome = await task.call({"task": "do it"})
    answer = json.loads(outcome.content)
    assert not outcome.is_error and list(answer) == CHAT_JSON_KEYS
    assert answer["text"] == "done" and answer["stop_reason"] == "end_turn" and answer["error"] is None


async def test_parallel_tasks_share_one_model_client(task: M2Task, fake_minimax: Any) -> None:
    fake_minimax.responder = lambda request: Reply("done")
    answers: list[dict[str, Any]] = []

    async def one(n: int) -> None:
        answers.append(json.loads((await task.call({"task": f"task {n}"})).content))

    async with anyio.create_task_group() as group:
        for n in range(4):
            group.start_soon(one, n)
    assert len({a["session_id"] for a in answers}) == 4
    assert task._service is not None and task._service.clients.built == 1
