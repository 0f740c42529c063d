"""Live sessions (issue 18): an editor (pytest-lsp, a real `m2bridge lsp`) shows a session while
`m2bridge chat --session ID -p` adds a turn in another process; the server tells the editor with
`m2/sessionChanged {sessionId, turns}`, and never about the turns the editor ran itself. The first test
runs on SQLite and on PostgreSQL (both processes given the same M2BRIDGE_DATABASE_URL: LISTEN/NOTIFY).

The waits are bounded (5 s); the latency from the turn's durable append to the notification is printed,
not asserted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_json
from tests.support.lsp_editor import Editor, editor_session, make_project, plain
from tests.support.postgres import postgres_db, postgres_server

__all__ = ["postgres_db", "postgres_server"]

BOUND = 5.0


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """What points m2bridge at the test's store: nothing (SQLite in M2BRIDGE_HOME), or a fresh database."""
    if request.param == "sqlite":
        return {}
    return {"M2BRIDGE_DATABASE_URL": request.getfixturevalue("postgres_db").url}


class Changes:
    """The m2/sessionChanged notifications an editor got, each with the time it arrived."""

    def __init__(self, editor: Editor) -> None:
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self._arrived = asyncio.Event()

        @editor.client.feature("m2/sessionChanged")
        def changed(params: Any) -> None:
            self.seen.append((time.time(), plain(params)))
            self._arrived.set()

    async def until(self, session_id: str, turns: int) -> float:
        """When the notification saying `session_id` has `turns` turns arrived (waits up to BOUND)."""
        deadline = time.monotonic() + BOUND
        while True:
            for at, params in self.seen:
                if params == {"sessionId": session_id, "turns": turns}:
                    return at
            left = deadline - time.monotonic()
            assert left > 0, f"no m2/sessionChanged for {session_id} at {turns} turns; got {self.seen}"
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)


async def chat_elsewhere(env: dict[str, str], cwd: Path, session_id: str, prompt: str) -> dict[str, Any]:
    """One turn by `m2bridge chat --session ID -p` in its own process (off the loop: the editor listens)."""
    code, out = await asyncio.to_thread(
        run_json, ["chat", "--session", session_id, "-p", prompt, "--json"], env, cwd
    )
    assert code == 0 and out["session_id"] == session_id, out
    return out


async def stored_turns(editor: Editor, session_id: str) -> list[dict[str, Any]]:
    return (await editor.request("m2/session", {"id": session_id}))["turns"]


async def test_the_editor_is_told_when_the_session_it_shows_grows_in_another_process(
    tmp_path: Path, fake_minimax: Any, store_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax, **store_env)
    fake_minimax.script(Reply("First.", thinking="one"), Reply("From the terminal.", thinking="two"))
    _, first = run_json(["chat", "-p", "start here", "--json"], env, repo)
    session_id = first["session_id"]

    async with editor_session(repo, env) as editor:
        changes = Changes(editor)
        shown = await stored_turns(editor, session_id)
        assert len(shown) == 2
        await chat_elsewhere(env, repo, session_id, "and from the terminal?")
        arrived = await changes.until(session_id, 4)
        now = await stored_turns(editor, session_id)

    landed = now[-1]["created"]  # the answer's durable append, in the other process
    backend = "PostgreSQL" if store_env else "SQLite"
    print(f"\n{backend}: m2/sessionChanged {1000 * (arrived - landed):.0f} ms after the turn was stored")
    assert [t["kind"] for t in now[2:]] == ["user", "assistant"]
    # Every notification was about the shown session, counting up.
    counts = [params["turns"] for _, params in changes.seen]
    assert {params["sessionId"] for _, params in changes.seen} == {session_id}
    assert counts == sorted(counts) and counts[0] > 2 and counts[-1] == 4
    # Nothing was written to a local SQLite store on PostgreSQL.
    assert (tmp_path / "home" / "sessions.db").exists() == (not store_env)


async def test_the_editors_own_turns_are_not_announced_but_later_turns_elsewhere_are(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        Reply("In the editor.", thinking="editor"),
        Reply("Again " + "and again " * 10, thinking="editor again"),
        Reply("In the terminal.", thinking="terminal"),
    )
    async with editor_session(repo, env, offers_turns=True) as editor:
        changes = Changes(editor)
        session_id = (await editor.chat("first, in the editor"))["sessionId"]
        # A turn long enough for the feed to see its prompt stored well before it ends.
        fake_minimax.token_delay = 0.05
        assert (await editor.chat("second, in the editor", session_id=session_id))["error"] is None
        fake_minimax.token_delay = 0
        await chat_elsewhere(env, repo, session_id, "now from the terminal")
        await changes.until(session_id, 6)

    # The editor's own turns (4 turns) were never announced: only what the terminal added.
    assert all(params["turns"] > 4 for _, params in changes.seen), changes.seen


async def test_a_session_the_editor_no_longer_shows_is_not_announced(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        Reply("A.", thinking="a"),
        Reply("B.", thinking="b"),
        Reply("A again.", thinking="a2"),
        Reply("B again.", thinking="b2"),
    )
    _, a = run_json(["chat", "-p", "session a", "--json"], env, repo)
    _, b = run_json(["chat", "-p", "session b", "--json"], env, repo)
    async with editor_session(repo, env) as editor:
        changes = Changes(editor)
        await stored_turns(editor, a["session_id"])
        await stored_turns(editor, b["session_id"])  # the editor switched to b
        await chat_elsewhere(env, repo, a["session_id"], "a grows")
        await chat_elsewhere(env, repo, b["session_id"], "b grows")
        await changes.until(b["session_id"], 4)

    # a's turn landed a second before b's: had it been announced, it would be here by now.
    assert {params["sessionId"] for _, params in changes.seen} == {b["session_id"]}
