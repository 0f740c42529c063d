"""Compaction never strands a session: the agent loop against the strict fake with a small context window."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import anyio

from m2bridge.agent import Agent
from m2bridge.agent.events import Compaction
from m2bridge.client.model import ModelClient
from m2bridge.conversation import turn_to_snake
from m2bridge.messages import AssistantTurn, CompactionTurn
from m2bridge.sessions import SessionStore
from tests.fakes.minimax import CallTools, Fault, Reply
from tests.fakes.minimax.tool_rule import tool_definition_problems
from tests.support.env import m2_env, settings_for
from tests.support.tools import ReadNote, make_notes

SUMMARY_ASK = "Summarise the conversation so far"


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


def is_summary_request(request) -> bool:
    return SUMMARY_ASK in json.dumps(request.body["messages"][-1])


def fake_tokens(request) -> int:
    """The fake's own figure for a request (usage.py: about four characters per token)."""
    return len(json.dumps(request.body, ensure_ascii=False)) // 4


class Script:
    """A responder: reads notes one by one, answers summary requests as told, and refuses (2013) any
    request over `limit` tokens, as a self-hosted server whose real limit is below context_window."""

    def __init__(self, rounds: int, summary=None, limit: int | None = None) -> None:
        self.rounds = rounds
        self.issued = 0
        self.summary = summary or (lambda: Reply("Summary: notes read so far, nothing else pending."))
        self.limit = limit
        self.refused: list[int] = []  # positions in fake.requests

    def __call__(self, request):
        if self.limit is not None and fake_tokens(request) > self.limit:
            return Fault.api_error(2013, "context window exceeds limit")
        if is_summary_request(request):
            return self.summary()
        if self.issued >= self.rounds:
            return Reply("end")
        self.issued += 1
        return CallTools([("read_note", {"n": self.issued - 1})], thinking="Planning the next read. " * 40)


def setup(tmp_path, fake, config: str, notes: int = 30):
    env = m2_env(tmp_path, fake)
    (tmp_path / "config.toml").write_text(config)
    settings = settings_for(env)
    make_notes(tmp_path / "notes", notes)
    store = SessionStore(settings.sessions_db)
    session = store.create(workspace=str(tmp_path), protocol="anthropic", model=settings.model, title="t").id
    return settings, store, session


def agent_for(settings, store, tmp_path, events, tools=None):
    client = ModelClient(settings, sleep=no_sleep)
    agent = Agent(
        settings=settings,
        client=client,
        store=store,
        system="You are tested.",
        tools=[ReadNote(tmp_path / "notes")] if tools is None else tools,
        on_event=events.append,
    )
    return agent, client


def stored(store, session):
    return [s.turn for s in store.load(session).turns]


async def test_a_failed_summary_lets_the_turn_go_ahead_and_says_compaction_failed(tmp_path, fake_minimax):
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.5\n")
    script = Script(12, summary=Fault.server_error)
    fake_minimax.responder = script
    events = []
    agent, client = agent_for(settings, store, tmp_path, events)
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is None and result.text == "end", result.error
    summaries = [r for r in fake_minimax.requests if is_summary_request(r)]
    # One retry for the summary request, and no second attempt in the same turn.
    assert len(summaries) == 2
    failed = [e for e in events if isinstance(e, Compaction)]
    assert len(failed) == 1 and not failed[0].ok and failed[0].trigger == "threshold"
    assert (
        "internal server error" in (failed[0].reason or "")
        and "Summarising older turns failed" in failed[0].text
    )
    assert failed[0].before_tokens == failed[0].after_tokens > 0.5 * 8000
    assert turn_to_snake(result)["compactions"] == [failed[0].as_json()]
    assert not any(isinstance(t, CompactionTurn) for t in stored(store, session))

    # The next turn tries again, and now the summary works.
    script.summary = lambda: Reply("Summary: all read.")
    script.rounds, script.issued = 0, 0
    events.clear()
    agent, client = agent_for(settings, store, tmp_path, events)
    async with client:
        again = await agent.run_turn(session, "anything else?")
    assert again.error is None and again.text == "end"
    made = [e for e in events if isinstance(e, Compaction)]
    assert len(made) == 1 and made[0].ok and made[0].after_tokens < made[0].before_tokens
    assert any(isinstance(t, CompactionTurn) for t in stored(store, session))


async def test_a_failed_summary_when_the_conversation_no_longer_fits_says_so(tmp_path, fake_minimax):
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.5\n")
    fake_minimax.responder = Script(30, summary=Fault.server_error)
    events = []
    agent, client = agent_for(settings, store, tmp_path, events)
    async with client:
        result = await agent.run_turn(session, "read all")
    # The estimate passed the whole window before the next normal request: nothing would take it.
    assert result.error is not None and result.error.code == "compaction_failed"
    assert "summarising older turns failed" in result.error.message
    assert "no longer fits" in result.error.message


async def test_a_tool_session_through_compaction_never_sends_tool_blocks_without_tools(
    tmp_path, fake_minimax
):
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.5\n")
    fake_minimax.responder = Script(20)
    events = []
    agent, client = agent_for(settings, store, tmp_path, events)
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is None and result.text == "end", result.error
    assert sum(isinstance(t, CompactionTurn) for t in stored(store, session)) >= 2
    assert all(c.ok for c in result.compactions) and len(result.compactions) >= 2
    summaries = [r for r in fake_minimax.requests if is_summary_request(r)]
    assert summaries and all("tools" not in r.body for r in summaries)
    # The fake refuses such requests (and fails the test at teardown); checked here by name too.
    assert not [r for r in fake_minimax.requests if tool_definition_problems(r.body, "anthropic")]

    # Continued where no tool is available: the history's tools are still defined.
    fake_minimax.responder = Script(0)
    agent, client = agent_for(settings, store, tmp_path, events, tools=[])
    async with client:
        later = await agent.run_turn(session, "and now?")
    assert later.error is None and later.text == "end", later.error
    last = fake_minimax.requests[-1].body
    assert [t["name"] for t in last["tools"]] == ["read_note"]


async def test_an_overflow_retry_is_sized_from_the_refused_request(tmp_path, fake_minimax):
    # The server takes 2,600 tokens though context_window says 8,000 (a self-hosted server at its defaults).
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.9\n")
    script = Script(12, limit=2600)
    fake_minimax.responder = script
    events = []
    agent, client = agent_for(settings, store, tmp_path, events)
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is None and result.text == "end", result.error
    requests = fake_minimax.requests
    refused = [i for i, r in enumerate(requests) if fake_tokens(r) > 2600]
    assert refused, "the session never reached the server's real limit"
    first = refused[0]
    retry = next(r for r in requests[first + 1 :] if not is_summary_request(r))
    # What is sent after the refusal carries at most half of what was refused (estimates on both sides).
    assert fake_tokens(retry) <= 0.5 * fake_tokens(requests[first])
    overflow = [e for e in result.compactions if e.trigger == "overflow"]
    assert overflow and overflow[0].ok and overflow[0].after_tokens <= overflow[0].before_tokens // 2
    assert "below context_window" in overflow[0].text
    # Later compactions aim under what the server refused, so it is not refused over and over.
    assert len(refused) == 1


async def test_repeated_overflows_stop_and_name_the_refused_figure(tmp_path, fake_minimax):
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.9\n")
    fake_minimax.responder = Script(12, limit=400)
    agent, client = agent_for(settings, store, tmp_path, [])
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is not None and result.error.code == "context_overflow"
    message = result.error.message
    assert "set context_window in config.toml" in message and "context_window is 8,000" in message
    assert re.search(r"refused about [\d,]+ tokens", message)
    refusals = [r for r in fake_minimax.requests if fake_tokens(r) > 400]
    assert len(refusals) <= 1 + 2 * 2  # each overflow may see its summary refused too: bounded


async def test_the_compaction_boundary_is_a_stored_index_when_a_record_is_unreadable(tmp_path, fake_minimax):
    settings, store, session = setup(tmp_path, fake_minimax, "context_window = 8000\ncompact_at = 0.5\n")
    with sqlite3.connect(settings.sessions_db) as raw:
        raw.execute(
            "INSERT INTO turns VALUES (?, 0, 'telepathy', ?, ?)",
            (session, '{"kind": "telepathy"}', time.time()),
        )
    fake_minimax.responder = Script(14)
    agent, client = agent_for(settings, store, tmp_path, [])
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is None, result.error
    loaded = store.load(session)
    by_index = {s.index: s.turn for s in loaded.turns}
    compaction = next(s for s in loaded.turns if isinstance(s.turn, CompactionTurn))
    # The first request after it carries the summary, then the turn at replaces_before, verbatim.
    after = next(
        r.body["messages"]
        for r in fake_minimax.requests
        if not is_summary_request(r) and compaction.turn.summary in json.dumps(r.body["messages"][0])
    )
    first_kept = by_index[compaction.turn.replaces_before]
    assert isinstance(first_kept, AssistantTurn) and after[1] == first_kept.provider_message
