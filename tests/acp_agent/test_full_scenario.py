"""`m2bridge acp` through one whole story with the Python SDK's client (tests/support/acp_editor.py), the
same story tests/e2e/test_acp_typescript.py tells with the official TypeScript SDK: initialize, a new
session, an edit M2 asks permission for that goes through the editor's files, a command in the editor's
terminal, a turn cancelled mid-stream and the next turn going on from it; then a session started in
`m2bridge chat -p` loaded into the editor and continued there, and continued once more back in
`m2bridge chat --continue`. The strict fake M2 checks every request's history (thinking included) and
fails the test on any violation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from acp import text_block
from acp.schema import AllowedOutcome, RequestPermissionResponse

from tests.support.acp_editor import EVERYTHING, Editor, acp_editor
from tests.support.acp_story import (
    CONVERSATION,
    EDITED,
    LONG_ANSWER,
    REPLAYED_KINDS,
    continue_in_chat,
    script_the_editors_session,
    start_in_chat,
)
from tests.support.env import m2_env, make_project, run_cli
from tests.support.sent import tool_results


def allow_once() -> RequestPermissionResponse:
    return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id="allow_once"))


def kinds(updates: list[Any]) -> list[str]:
    """The conversation's update kinds in arrival order, runs of one kind collapsed."""
    seen: list[str] = []
    for update in updates:
        if update.session_update not in CONVERSATION:
            continue
        if not seen or seen[-1] != update.session_update:
            seen.append(update.session_update)
    return seen


def text_of(updates: list[Any], kind: str) -> str:
    return "".join(u.content.text for u in updates if u.session_update == kind)


class Turns:
    """The updates of each step, cut out of the editor's record as the steps go."""

    def __init__(self, editor: Editor) -> None:
        self._editor = editor
        self._seen = 0

    def since_last(self) -> list[Any]:
        updates = [update for _, update in self._editor.client.updates[self._seen :]]
        self._seen = len(self._editor.client.updates)
        return updates


async def cancel_after_first_thought(editor: Editor, session_id: str, text: str) -> Any:
    """A prompt cancelled as soon as M2's first thought arrives (bounded: the answer is long and slow)."""
    before = len(editor.client.updates)
    turn = asyncio.ensure_future(editor.conn.prompt(session_id=session_id, prompt=[text_block(text)]))
    for _ in range(1000):
        arrived = editor.client.updates[before:]
        if any(u.session_update == "agent_thought_chunk" for _, u in arrived) or turn.done():
            break
        await asyncio.sleep(0.01)
    await editor.conn.cancel(session_id=session_id)
    return await asyncio.wait_for(turn, 20)


async def test_the_python_sdk_client_drives_m2bridge_acp_through_the_whole_story(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    app = str(repo.resolve() / "app.py")

    # The editor's first session: an edit, a command, a turn cancelled mid-stream, and one more turn.
    script_the_editors_session(fake_minimax)
    async with acp_editor(repo, env) as editor:
        turns = Turns(editor)
        init = await editor.initialize(EVERYTHING)
        session_id = (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id
        editor.client.permission = allow_once()
        edit = await editor.conn.prompt(session_id=session_id, prompt=[text_block("make answer return 2")])
        edit_updates = turns.since_last()
        command = await editor.conn.prompt(session_id=session_id, prompt=[text_block("show me app.py")])
        command_updates = turns.since_last()
        cancelled = await cancel_after_first_thought(editor, session_id, "say a lot")
        cancelled_updates = turns.since_last()
        after = await editor.conn.prompt(session_id=session_id, prompt=[text_block("in short?")])
        after_updates = turns.since_last()

    assert init.agent_capabilities is not None and init.agent_capabilities.load_session is True

    # The edit: thinking, the tool calls, permission asked and allowed, the file read and written through
    # the editor (fs/read_text_file, fs/write_text_file), the answer.
    assert edit.stop_reason == "end_turn"
    assert kinds(edit_updates) == [
        "agent_thought_chunk", "tool_call", "tool_call_update",
        "agent_thought_chunk", "tool_call", "tool_call_update",
        "agent_thought_chunk", "agent_message_chunk",
    ]  # fmt: skip
    thought = text_of(edit_updates, "agent_thought_chunk")
    assert thought == "Look at the file first.Now change 1 to 2.Done editing."
    assert text_of(edit_updates, "agent_message_chunk") == "Changed it to 2."
    edit_call = [u for u in edit_updates if u.session_update == "tool_call"][1]
    assert edit_call.kind == "edit" and edit_call.locations[0].path == app
    asked_session, asked_call, options = editor.client.permission_requests[0]
    assert asked_session == session_id and asked_call.tool_call_id == edit_call.tool_call_id
    assert {o.kind for o in options} == {"allow_once", "allow_always", "reject_once"}
    assert editor.client.asked("fs/write_text_file") == [("fs/write_text_file", session_id, app, EDITED)]
    assert ("fs/read_text_file", session_id, app) in editor.client.requests
    assert (repo / "app.py").read_text() == EDITED

    # The command ran in the editor's terminal (a real process the editor started), with permission;
    # M2 got its output, and the API key never reached the command.
    assert command.stop_reason == "end_turn"
    assert len(editor.client.permission_requests) == 2
    run_call = next(u for u in command_updates if u.session_update == "tool_call")
    assert run_call.kind == "execute"
    ((_, terminal_session, terminal_id, program, _, given),) = editor.client.asked("terminal/create")
    assert terminal_session == session_id and "cat app.py" in " ".join(program)
    assert env["MINIMAX_API_KEY"] not in json.dumps(given)
    assert ("terminal/release", session_id, terminal_id) in editor.client.requests
    assert "return 2" in tool_results(fake_minimax.requests[4])[-1]

    # Cancelled after the first thought; the turn is kept, marked incomplete, and the next goes on from it.
    assert cancelled.stop_reason == "cancelled"
    assert kinds(cancelled_updates)[0] == "agent_thought_chunk"
    assert len(text_of(cancelled_updates, "agent_message_chunk")) < len(LONG_ANSWER)
    exported = json.loads(run_cli(["sessions", "export", session_id, "--json"], env, repo).stdout)
    kept = [t["turn"] for t in exported["turns"] if t["turn"]["kind"] == "assistant"]
    assert [turn["incomplete"] for turn in kept][-2:] == [True, False]
    assert after.stop_reason == "end_turn" and text_of(after_updates, "agent_message_chunk") == "In short: 2."

    # A session started in the terminal with `chat -p` ...
    chat_session = start_in_chat(fake_minimax, env, repo)

    # ... loaded into the editor: replayed as updates (the user's words, thinking, tool call, text),
    # then continued there.
    async with acp_editor(repo, env) as editor:
        turns = Turns(editor)
        await editor.initialize()
        await editor.conn.load_session(cwd=str(repo), session_id=chat_session, mcp_servers=[])
        replayed = turns.since_last()
        continued_here = await editor.conn.prompt(session_id=chat_session, prompt=[text_block("and now?")])
        continued_updates = turns.since_last()
    assert kinds(replayed) == REPLAYED_KINDS
    assert text_of(replayed, "user_message_chunk") == "what does answer return?"
    assert text_of(replayed, "agent_thought_chunk") == "Read it first.It returns 2."
    assert text_of(replayed, "agent_message_chunk") == "answer() returns 2."
    assert {session for session, _ in editor.client.updates} == {chat_session}
    assert continued_here.stop_reason == "end_turn"
    assert text_of(continued_updates, "agent_message_chunk") == "Still 2."

    # ... and continued once more back in the terminal, with the editor's turn in its history.
    continue_in_chat(fake_minimax, env, repo, chat_session)
    assert fake_minimax.violations == []
