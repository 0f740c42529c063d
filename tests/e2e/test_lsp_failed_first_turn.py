"""A first chat turn in the editor that gets no answer leaves no session behind, through a real language
server process and a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env, run_cli
from tests.support.lsp_editor import editor_session, make_project, plain


def stored(env: dict[str, str], cwd: Path) -> list[dict[str, Any]]:
    return json.loads(run_cli(["sessions", "list", "--json"], env, cwd).stdout)


async def test_a_failed_first_turn_stores_nothing_and_the_next_one_starts_afresh(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    (tmp_path / "config.toml").write_text("max_retries = 0\n")
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Fault.server_error())
    async with editor_session(repo, env) as editor:
        failed = await editor.chat("hello")
        listed_after_failure = await editor.request("m2/sessions")
        fake_minimax.script(Reply("Back.", thinking="Fine now."))
        again = await editor.chat("again")

    assert failed["stopReason"] == "error" and failed["sessionId"] is None
    assert listed_after_failure == []
    assert again["stopReason"] == "end_turn" and again["sessionId"]
    assert [(s["id"], s["title"]) for s in stored(env, repo)] == [(again["sessionId"], "again")]


async def test_a_first_turn_cancelled_before_m2_answered_stores_nothing(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Fault.slow_first_byte(60, Reply("too late")))
    async with editor_session(repo, env) as editor:
        pending = editor.client.protocol.send_request("m2/chat", {"prompt": "hello"}, msg_id="chat-1")
        for _ in range(400):  # until the request waits at the fake for its first byte
            if fake_minimax.requests:
                break
            await asyncio.sleep(0.05)
        editor.client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-1"))
        answer = plain(await asyncio.wait_for(asyncio.wrap_future(pending), 30))

    assert answer["stopReason"] == "cancelled" and answer["sessionId"] is None
    assert stored(env, repo) == []


async def test_a_failed_turn_on_a_session_with_answers_keeps_it(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    (tmp_path / "config.toml").write_text("max_retries = 0\n")
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("First."), Fault.server_error())
    async with editor_session(repo, env) as editor:
        first = await editor.chat("one")
        failed = await editor.chat("two")

    assert failed["stopReason"] == "error" and failed["sessionId"] == first["sessionId"]
    assert [s["id"] for s in stored(env, repo)] == [first["sessionId"]]
