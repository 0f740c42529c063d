"""`m2bridge chat -p` as a real process through a compaction: `--json` reports it, a failed one too."""

from __future__ import annotations

import json

import anyio

from m2bridge.agent import Agent
from m2bridge.client.model import ModelClient
from m2bridge.sessions import SessionStore
from tests.fakes.minimax import CallTools, Fault, Reply
from tests.support.env import m2_env, run_cli, run_json, settings_for
from tests.support.tools import ReadNote, make_notes

SUMMARY_ASK = "Summarise the conversation so far"
ROUNDS = 12  # about 4,100 of the fake's tokens, past a quarter of a 16,000-token window


def is_summary_request(request) -> bool:
    return SUMMARY_ASK in json.dumps(request.body["messages"][-1])


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


async def long_session(tmp_path, fake) -> tuple[dict[str, str], str]:
    """A session of ROUNDS tool rounds, built in-process with compaction out of reach."""
    env = m2_env(tmp_path, fake)
    config = tmp_path / "config.toml"
    config.write_text("context_window = 8000\ncompact_at = 0.95\n")  # no compaction while building
    settings = settings_for(env)
    make_notes(tmp_path / "notes", ROUNDS)
    store = SessionStore(settings.sessions_db)
    session = store.create(workspace=str(tmp_path), protocol="anthropic", model=settings.model, title="t").id
    fake.script(
        *[
            CallTools([("read_note", {"n": n})], thinking="Planning the next read. " * 40)
            for n in range(ROUNDS)
        ],
        Reply("All read."),
    )
    client = ModelClient(settings, sleep=no_sleep)
    agent = Agent(
        settings=settings, client=client, store=store, system="t", tools=[ReadNote(tmp_path / "notes")]
    )
    async with client:
        result = await agent.run_turn(session, "read them all")
    assert result.error is None and not result.compactions, result.error
    # The CLI's own system prompt and tool definitions add about 8,000 tokens to each request.
    config.write_text("context_window = 16000\ncompact_at = 0.25\n")
    return env, session


def answer_with(summary):
    return lambda request: summary() if is_summary_request(request) else Reply("Nothing else.")


async def test_json_reports_the_compaction_a_turn_made(tmp_path, fake_minimax):
    env, session = await long_session(tmp_path, fake_minimax)
    fake_minimax.responder = answer_with(lambda: Reply("Summary: twelve notes read."))
    code, out = await anyio.to_thread.run_sync(
        lambda: run_json(["chat", "-p", "Anything else?", "--session", session, "--json"], env, tmp_path)
    )
    assert code == 0 and out["error"] is None and out["text"] == "Nothing else."
    [made] = out["compactions"]
    assert made["trigger"] == "threshold" and made["ok"] is True and made["reason"] is None
    assert made["after_tokens"] < made["before_tokens"] and made["before_tokens"] > 4000


async def test_a_failed_summary_is_reported_and_the_turn_still_answers(tmp_path, fake_minimax):
    env, session = await long_session(tmp_path, fake_minimax)
    fake_minimax.responder = answer_with(Fault.server_error)
    code, out = await anyio.to_thread.run_sync(
        lambda: run_json(["chat", "-p", "Anything else?", "--session", session, "--json"], env, tmp_path)
    )
    assert code == 0 and out["error"] is None and out["text"] == "Nothing else."
    [failed] = out["compactions"]
    assert failed["ok"] is False and "internal server error" in failed["reason"]
    assert failed["after_tokens"] == failed["before_tokens"]
    assert sum(is_summary_request(r) for r in fake_minimax.requests) == 2  # one retry, then on

    # Without --json the terminal says so, and the next turn tries again.
    proc = await anyio.to_thread.run_sync(
        lambda: run_cli(["chat", "-p", "And now?", "--session", session], env, tmp_path)
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "Nothing else."
    assert "Summarising older turns failed" in proc.stderr and "tried again next turn" in proc.stderr
    assert sum(is_summary_request(r) for r in fake_minimax.requests) == 4
