"""`m2bridge acp`'s slash commands (/compact, /fork, /new), announced with available_commands_update,
and the session's title, announced with session_info_update once its first prompt names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acp import text_block
from acp.schema import AgentMessageChunk, AvailableCommandsUpdate, SessionInfoUpdate

from tests.fakes.minimax import Reply
from tests.support.acp_editor import Editor, acp_editor
from tests.support.env import m2_env, make_project, run_cli, run_json


async def new_session(editor: Editor, repo: Path) -> str:
    await editor.initialize()
    return (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id


async def say(editor: Editor, session_id: str, text: str) -> str:
    """The prompt's answer as the editor shows it (the agent's message chunks of this turn)."""
    before = len(editor.client.updates)
    await editor.conn.prompt(session_id=session_id, prompt=[text_block(text)])
    fresh = editor.client.updates[before:]
    return "".join(u.content.text for _, u in fresh if isinstance(u, AgentMessageChunk))


def exported(env: dict[str, str], repo: Path, session_id: str) -> list[Any]:
    proc = run_cli(["sessions", "export", session_id], env, repo)
    assert proc.returncode == 0, proc.stderr
    import json

    return json.loads(proc.stdout)["turns"]


async def test_the_commands_are_announced_and_the_first_prompt_titles_the_session(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("Hi.", thinking="Greet."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await new_session(editor, repo)
        await editor.conn.prompt(session_id=session_id, prompt=[text_block("say   hello\nplease")])
    (commands,) = [u for _, u in editor.client.updates if isinstance(u, AvailableCommandsUpdate)]
    assert [c.name for c in commands.available_commands] == ["compact", "fork", "new"]
    (title,) = [u for _, u in editor.client.updates if isinstance(u, SessionInfoUpdate)]
    assert title.title == "say hello please"


async def test_fork_copies_the_conversation_byte_for_byte_and_this_session_goes_on(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("One.", thinking="First thought."), Reply("Two.", thinking="Second thought."))
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        await say(editor, session_id, "first")
        said = await say(editor, session_id, "/fork")
        await say(editor, session_id, "second")
    _, listed = run_json(["sessions", "list", "--json"], env, repo)
    (fork_id,) = [row["id"] for row in listed if row["id"] != session_id]
    assert f"session {fork_id}" in said
    assert len(fake_minimax.requests) == 2  # /fork asked M2 nothing
    original, fork = exported(env, repo, session_id), exported(env, repo, fork_id)
    assert fork == original[: len(fork)] and len(fork) == 2 and len(original) == 4


async def test_new_starts_over_in_a_fresh_stored_session_and_keeps_the_old_one(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("One.", thinking="First."), Reply("Fresh.", thinking="Clean slate."))
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        await say(editor, session_id, "remember the word kiwi")
        said = await say(editor, session_id, "/new")
        await say(editor, session_id, "what word?")
    fresh = fake_minimax.requests[1].body["messages"]
    assert [m["role"] for m in fresh] == ["user"]  # nothing of the earlier conversation went to M2
    _, listed = run_json(["sessions", "list", "--json"], env, repo)
    (new_id,) = [row["id"] for row in listed if row["id"] != session_id]
    assert f"Started over in session {new_id}" in said and session_id in said
    assert len(exported(env, repo, session_id)) == 2 and len(exported(env, repo, new_id)) == 2


async def test_compact_on_a_short_conversation_says_nothing_was_summarised_and_asks_m2_nothing(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("One.", thinking="First."))
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        await say(editor, session_id, "hello")
        said = await say(editor, session_id, "/compact")
    assert said.startswith("Nothing was summarised")
    assert len(fake_minimax.requests) == 1


async def test_compact_summarises_older_turns_and_the_next_turn_sends_the_summary(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    (tmp_path / "config.toml").write_text("context_window = 20000\ncompact_at = 0.9\n")
    env = m2_env(tmp_path, fake_minimax)
    long = " word" * 2000
    fake_minimax.script(
        Reply("One." + long, thinking="First."),
        Reply("Two." + long, thinking="Second."),
        Reply("The user asked twice; M2 answered at length.", thinking="Summarise."),
        Reply("Three.", thinking="Third."),
    )
    async with acp_editor(repo, env) as editor:
        session_id = await new_session(editor, repo)
        await say(editor, session_id, "first")
        await say(editor, session_id, "second")
        said = await say(editor, session_id, "/compact")
        await say(editor, session_id, "third")
    assert said.startswith("Older turns were summarised"), said
    last = str(fake_minimax.requests[-1].body["messages"])
    assert "The user asked twice" in last and "One." + long not in last
