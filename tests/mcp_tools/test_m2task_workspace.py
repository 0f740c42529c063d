"""`m2_task` and the workspace of the session it continues: inside the roots the tools have for the call
(every root of a server with several, as narrowed by the client's roots), or refused before anything
reaches the model. Through the MCP server's real M2Task against the strict fake M2; the stdio end-to-end
attacks are in tests/e2e/test_mcp_m2_task.py. Also: m2_task runs through the conversation service, so its
answer is the snake_case turn result of `chat --json` and every task of a server shares one model client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from m2bridge.sessions import SessionStore
from mcp_tools.m2task import M2Task
from mcp_tools.toolkit import ToolOptions, open_toolset
from tests.fakes.minimax import Reply
from tests.support.env import JSON_CONTRACT_FIELDS, m2_env, settings_for
from tests.support.no_bwrap import path_without_bwrap


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    base = tmp_path.resolve()
    a, b, other = base / "a", base / "b", base / "other"
    for folder in (a, b, other):
        folder.mkdir()
    return a, b, other


@pytest.fixture
async def task(tmp_path: Path, folders: tuple[Path, Path, Path], fake_minimax: Any) -> AsyncIterator[M2Task]:
    a, b, _ = folders
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    toolset = open_toolset(ToolOptions(roots=[a, b], home=settings.home))
    m2_task = M2Task(settings, toolset.tools, toolset.context)
    try:
        yield m2_task
    finally:
        await m2_task.aclose()
        await toolset.aclose()


def stored(task: M2Task) -> SessionStore:
    """The server's session store, opened beside it (the store is shared across processes)."""
    return SessionStore(task.settings.sessions_db)


def session_in(task: M2Task, workspace: Path) -> str:
    with stored(task) as store:
        return store.create(workspace=str(workspace), protocol="anthropic", model="MiniMax-M2").id


async def test_a_session_in_any_root_of_a_server_with_several_continues(
    task: M2Task, folders: tuple[Path, Path, Path], fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("continued")
    _, b, _ = folders
    session_id = session_in(task, b)
    outcome = await task.call({"task": "go on", "session_id": session_id})
    assert not outcome.is_error, outcome.content
    assert json.loads(outcome.content)["text"] == "continued"


async def test_a_session_outside_every_root_is_refused_naming_it_its_workspace_and_the_roots(
    task: M2Task, folders: tuple[Path, Path, Path], fake_minimax: Any
) -> None:
    a, b, other = folders
    session_id = session_in(task, other)
    outcome = await task.call({"task": "go on", "session_id": session_id})
    assert outcome.is_error
    assert f"session {session_id} belongs to workspace {other}" in outcome.content
    assert f"({a}, {b})" in outcome.content
    assert fake_minimax.requests == []
    with stored(task) as store:
        assert store.resolve(session_id).turns == 0


async def test_a_session_in_a_root_the_client_narrowed_away_is_refused(
    task: M2Task, folders: tuple[Path, Path, Path], fake_minimax: Any
) -> None:
    a, b, _ = folders
    context = task.ctx
    session_id = session_in(task, b)
    with context.narrowed_to(context.base_policy.narrowed([a.as_uri()])):
        outcome = await task.call({"task": "go on", "session_id": session_id})
    assert outcome.is_error and f"outside this server's roots ({a})" in outcome.content
    assert fake_minimax.requests == []


async def test_m2_task_answers_with_the_snake_case_turn_result_of_chat_json(
    task: M2Task, fake_minimax: Any
) -> None:
    fake_minimax.responder = lambda request: Reply("done")
    outcome = await task.call({"task": "do it"})
    answer = json.loads(outcome.content)
    assert not outcome.is_error and set(answer) == JSON_CONTRACT_FIELDS
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


async def test_without_a_sandbox_the_tasks_agent_is_told_why_it_has_no_process_tools(
    tmp_path: Path, folders: tuple[Path, Path, Path], fake_minimax: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcp_tools.sandbox import support

    a, _, _ = folders
    monkeypatch.setenv("PATH", path_without_bwrap(tmp_path / "bin"))  # a machine with no bubblewrap, for real
    support.probe_again()  # the probe is cached per process
    try:
        settings = settings_for(m2_env(tmp_path, fake_minimax))
        toolset = open_toolset(ToolOptions(roots=[a], home=settings.home))
        m2_task = M2Task(settings, toolset.tools, toolset.context)
        try:
            fake_minimax.responder = lambda request: Reply("done")
            outcome = await m2_task.call({"task": "run the tests"})
        finally:
            await m2_task.aclose()
            await toolset.aclose()
    finally:
        support.probe_again()
    assert not outcome.is_error, outcome.content
    (request,) = fake_minimax.requests
    system = json.dumps(request.body.get("system"))
    assert "run_command" in system and "inside a sandbox" in system and "apt-get install bubblewrap" in system
    assert "run_command" not in {tool["name"] for tool in request.body.get("tools", [])}
