"""The one story both ACP end-to-end tests tell (tests/acp_agent/test_full_scenario.py with the Python SDK's
client, tests/e2e/test_acp_typescript.py with the official TypeScript SDK's): what the fake M2 answers
at each step, and the terminal half (`chat -p` before the editor loads the session, `chat --continue`
after), so the two editors are held to the same words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import run_json
from tests.support.sent import user_texts

__all__ = [
    "CONVERSATION",
    "EDIT",
    "EDITED",
    "LONG_ANSWER",
    "REPLAYED_KINDS",
    "continue_in_chat",
    "script_the_editors_session",
    "start_in_chat",
]

EDIT = {"path": "app.py", "old_string": "return 1", "new_string": "return 2"}
EDITED = "def answer():\n    return 2\n"
LONG_ANSWER = "word " * 400

# The updates that carry the conversation; the others (commands, title, usage, mode) may come between.
CONVERSATION = frozenset(
    {"user_message_chunk", "agent_thought_chunk", "agent_message_chunk", "tool_call", "tool_call_update"}
)

# A `chat -p` session with one tool call, as session/load replays it.
REPLAYED_KINDS = [
    "user_message_chunk",
    "agent_thought_chunk",
    "tool_call",
    "tool_call_update",
    "agent_thought_chunk",
    "agent_message_chunk",
]


def script_the_editors_session(fake: Any) -> None:
    """An edit (read, then edit_file), a command, a long answer to cancel, and a short one after it."""
    fake.token_delay = 0.02  # slow enough that the cancel lands mid-stream
    fake.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Look at the file first."),
        CallTools([("edit_file", EDIT)], thinking="Now change 1 to 2."),
        Reply("Changed it to 2.", thinking="Done editing."),
        CallTools([("run_command", {"command": "cat app.py"})], thinking="Show it."),
        Reply("It returns 2 now.", thinking="The command ran."),
        Reply(LONG_ANSWER, thinking="A long answer is coming."),
        Reply("In short: 2.", thinking="Shorter this time."),
    )


def start_in_chat(fake: Any, env: dict[str, str], repo: Path) -> str:
    """A session started in the terminal (`chat -p`), with the answers for the editor's turn and the
    terminal's last one scripted after it; its id."""
    fake.token_delay = 0.0
    fake.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Read it first."),
        Reply("answer() returns 2.", thinking="It returns 2."),
        Reply("Still 2.", thinking="Nothing changed since."),
        Reply("Yes, 2.", thinking="Asked a third time."),
    )
    code, made = run_json(["chat", "-p", "what does answer return?", "--json"], env, repo)
    assert code == 0, made
    return str(made["session_id"])


def continue_in_chat(fake: Any, env: dict[str, str], repo: Path, session_id: str) -> None:
    """`chat --continue` goes on with the editor's turn in its history; every scripted answer was used."""
    code, continued = run_json(["chat", "--continue", "-p", "and once more?", "--json"], env, repo)
    assert code == 0, continued
    assert continued["session_id"] == session_id and continued["text"] == "Yes, 2."
    last = user_texts(fake.requests[-1])
    assert last[0] == "what does answer return?" and "and now?" in last and last[-1] == "and once more?"
    assert fake.pending == 0
