"""The interleaved loop against the strict fake: every request must carry earlier thinking intact."""

from collections.abc import Mapping
from typing import Any

import anyio
import pytest

from m2bridge.agent import Agent, Notice, ToolEnd, ToolStart
from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.model import ModelClient
from m2bridge.messages import AssistantTurn, CompactionTurn, ToolCall, ToolResultsTurn
from m2bridge.sessions import SessionStore
from m2bridge.sessions.display import display_turns
from m2bridge.tools import ToolOutcome, ToolSpec
from tests.fakes.minimax import CallTools, Fault, Reply
from tests.support.env import MODES, m2_env, run_json, settings_for
from tests.support.tools import ReadNote, WriteNote, make_notes


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


def build_agent(settings, store, tools, events=None, approve=None, sleep=no_sleep):
    client = ModelClient(settings, sleep=sleep)
    agent = Agent(
        settings=settings,
        client=client,
        store=store,
        system="You are tested.",
        tools=tools,
        approver=approve,
        on_event=(events.append if events is not None else None),
    )
    return agent, client


def new_session(store, settings, workspace):
    return store.create(workspace=str(workspace), protocol=settings.api, model=settings.model, title="t").id


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("style", ["incremental", "cumulative"])
async def test_a_25_step_tool_loop_keeps_history_intact_and_resumes_in_a_new_process(
    tmp_path, fake_minimax, mode, style
):
    if mode == "anthropic" and style == "cumulative":
        pytest.skip("cumulative chunks are an OpenAI-protocol variant")
    fake_minimax.stream_style = style
    env = m2_env(tmp_path, fake_minimax, mode)
    settings = settings_for(env)
    make_notes(tmp_path / "notes", 25)
    reader = ReadNote(tmp_path / "notes")
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(
        *[CallTools([("read_note", {"n": n})]) for n in range(25)], Reply("All 25 notes read.")
    )
    events = []
    agent, client = build_agent(settings, store, [reader], events)
    async with client:
        result = await agent.run_turn(session, "Read every note.")
    assert result.error is None, result.error
    assert (result.stop_reason, result.steps, result.text) == ("end_turn", 26, "All 25 notes read.")
    assert reader.calls == 25 and all(ok for _, ok in result.tool_calls)
    assert any(isinstance(e, ThinkingDelta) for e in events) and any(isinstance(e, TextDelta) for e in events)
    assert sum(isinstance(e, ToolStart) for e in events) == sum(isinstance(e, ToolEnd) for e in events) == 25
    assert len(fake_minimax.requests) == 26

    fake_minimax.script(Reply("Resumed with everything."))
    code, out = await anyio.to_thread.run_sync(
        lambda: run_json(["chat", "-p", "Anything else?", "--session", session, "--json"], env, tmp_path)
    )
    assert code == 0 and out["text"] == "Resumed with everything." and out["error"] is None
    assert out["session_id"] == session and out["stop_reason"] == "end_turn"
    last = fake_minimax.requests[-1].body["messages"]
    assert sum(m["role"] == "assistant" for m in last) == 26


class Rendezvous:
    """A tool whose calls finish only once every call of the turn has started: run one after another,
    the first waits for the others in vain until its bound runs out and reports that it ran alone."""

    def __init__(self, expected: int, bound: float = 5.0) -> None:
        self.expected = expected
        self.bound = bound
        self.started: set[int] = set()
        self.everyone = anyio.Event()

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name="meet",
            description="Meet the other callers.",
            input_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        )

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        self.started.add(int(arguments["n"]))
        if len(self.started) == self.expected:
            self.everyone.set()
        with anyio.move_on_after(self.bound):
            await self.everyone.wait()
            return ToolOutcome(f"met all {self.expected}")
        return ToolOutcome(f"ran alone: only {sorted(self.started)} had started", is_error=True)


async def test_several_tool_calls_in_one_turn_run_concurrently_and_all_answer(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(CallTools([("meet", {"n": n}) for n in range(4)]), Reply("done"))
    agent, client = build_agent(settings, store, [Rendezvous(4)])
    async with client:
        result = await agent.run_turn(session, "meet four")
    assert result.stop_reason == "end_turn" and result.tool_calls == [("meet", True)] * 4
    answers = fake_minimax.requests[-1].body["messages"][-1]["content"]
    assert [a["content"] for a in answers] == ["met all 4"] * 4


async def test_the_step_limit_stops_with_a_clear_message(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    (tmp_path / "config.toml").write_text("max_steps = 3\n")
    settings = settings_for(env)
    make_notes(tmp_path / "notes", 3)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(*[CallTools([("read_note", {"n": n})]) for n in range(3)])
    agent, client = build_agent(settings, store, [ReadNote(tmp_path / "notes")])
    async with client:
        result = await agent.run_turn(session, "loop")
    assert result.stop_reason == "max_steps" and result.steps == 3
    assert "step limit" in result.text
    # The session stays usable: the next turn carries everything.
    fake_minimax.script(Reply("ok"))
    agent, client = build_agent(settings, store, [ReadNote(tmp_path / "notes")])
    async with client:
        assert (await agent.run_turn(session, "continue")).stop_reason == "end_turn"


async def test_a_refused_destructive_tool_is_reported_to_the_model(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(CallTools([("write_note", {"n": 1, "text": "x"})]), Reply("understood"))

    async def deny(name, arguments):
        return False

    agent, client = build_agent(settings, store, [WriteNote(tmp_path)], approve=deny)
    async with client:
        result = await agent.run_turn(session, "write")
    assert result.tool_calls == [("write_note", False)] and not (tmp_path / "note1.txt").exists()
    tool_message = fake_minimax.requests[-1].body["messages"][-1]["content"][0]
    assert tool_message["is_error"] is True and "did not approve" in tool_message["content"]


async def test_unknown_tools_and_bad_arguments_are_answered_not_crashed(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(CallTools([("no_such_tool", {})]), Reply("ok"))
    agent, client = build_agent(settings, store, [ReadNote(tmp_path)])
    async with client:
        result = await agent.run_turn(session, "x")
    assert result.stop_reason == "end_turn" and result.tool_calls == [("no_such_tool", False)]


async def test_a_broken_call_is_answered_with_what_broke_even_when_its_name_came_out_empty(
    tmp_path, fake_minimax
):
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    agent, client = build_agent(settings, SessionStore(settings.sessions_db), [ReadNote(tmp_path)])
    broken = ToolCall(id="c1", name="", arguments={}, arguments_error="an <invoke> tag is not closed")
    async with client:
        outcome = await agent._call_tool(broken)
    assert outcome.is_error and "an <invoke> tag is not closed" in str(outcome.content)
    assert "Unknown tool" not in str(outcome.content) and "<parameter>" in str(outcome.content)


async def test_cancel_mid_stream_keeps_what_arrived_and_the_session_usable(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.token_delay = 0.02
    fake_minimax.script(Reply("a long answer " * 40))
    agent, client = None, None

    def on_event(event):
        if isinstance(event, TextDelta):
            agent.cancel()

    agent, client = build_agent(settings, store, [])
    agent.on_event = on_event
    async with client:
        result = await agent.run_turn(session, "talk")
    assert result.stop_reason == "cancelled" and result.incomplete
    turns = [s.turn for s in store.load(session).turns]
    assert isinstance(turns[-1], AssistantTurn) and turns[-1].incomplete
    fake_minimax.token_delay = 0
    fake_minimax.script(Reply("fine"))
    agent, client = build_agent(settings, store, [])
    async with client:
        again = await agent.run_turn(session, "again")
    assert again.stop_reason == "end_turn"
    # The incomplete turn is stored and shown, but not sent back (the fake would flag it).
    assert sum(m["role"] == "assistant" for m in fake_minimax.requests[-1].body["messages"]) == 0


def compaction_responder(rounds: int):
    """Answers summary requests with a summary, otherwise reads the next note until `rounds` are done."""

    issued = [0]

    def respond(request):
        last_text = str(request.body["messages"][-1]["content"])
        if "Summarise the conversation so far" in last_text:
            return Reply("Summary: notes read so far, nothing else pending.")
        if issued[0] >= rounds:
            return Reply("end")
        issued[0] += 1
        return CallTools([("read_note", {"n": issued[0] - 1})], thinking="Planning the next read. " * 40)

    return respond


async def test_compaction_summarises_older_turns_and_keeps_recent_ones_verbatim(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    (tmp_path / "config.toml").write_text("context_window = 8000\ncompact_at = 0.5\n")
    settings = settings_for(env)
    make_notes(tmp_path / "notes", 20)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.responder = compaction_responder(20)
    events = []
    agent, client = build_agent(settings, store, [ReadNote(tmp_path / "notes")], events)
    async with client:
        result = await agent.run_turn(session, "read all")
    assert result.error is None, result.error
    assert result.text == "end"
    stored = [s.turn for s in store.load(session).turns]
    compactions = [t for t in stored if isinstance(t, CompactionTurn)]
    assert compactions and compactions[0].summary.startswith("Summary")
    assert any(isinstance(e, Notice) and "summarised" in e.text for e in events)
    # Stored history is never changed: all 20 tool rounds are still there.
    assert sum(isinstance(t, ToolResultsTurn) for t in stored) == 20
    shown = display_turns(store.load(session))
    assert shown[0].get("summarised") and not shown[-1].get("summarised")
    last = fake_minimax.requests[-1].body["messages"]
    assert "conversation-summary" in str(last[0]["content"])
    # Recent turns go verbatim, thinking included (the fake checks the values).
    assert any(m["role"] == "assistant" and m["content"][0]["type"] == "thinking" for m in last)


async def test_a_full_context_error_compacts_and_retries_once(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    make_notes(tmp_path / "notes", 6)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(*[CallTools([("read_note", {"n": n})]) for n in range(6)])
    fake_minimax.script(Fault.api_error(2013, "context window exceeds limit"))
    fake_minimax.script(Reply("Summary of the reads."), Reply("done after compaction"))
    events = []
    agent, client = build_agent(settings, store, [ReadNote(tmp_path / "notes")], events)
    async with client:
        result = await agent.run_turn(session, "go")
    assert result.error is None and result.text == "done after compaction"
    assert any(isinstance(e, Notice) and "context window was full" in e.text for e in events)


async def test_a_session_with_a_corrupt_record_still_takes_new_turns(tmp_path, fake_minimax):
    import sqlite3
    import time

    env = m2_env(tmp_path, fake_minimax)
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    with sqlite3.connect(settings.sessions_db) as raw:
        raw.execute(
            "INSERT INTO turns VALUES (?, 0, 'telepathy', ?, ?)",
            (session, '{"kind": "telepathy"}', time.time()),
        )
    fake_minimax.script(Reply("still works"))
    events = []
    agent, client = build_agent(settings, store, [], events)
    async with client:
        result = await agent.run_turn(session, "hello")
    assert result.error is None and result.text == "still works"
    assert any(isinstance(e, Notice) and "telepathy" in e.text for e in events)


async def test_the_configured_top_k_reaches_a_self_hosted_server_through_the_loop(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, "openai-think-tags")
    (tmp_path / "config.toml").write_text("top_k = 20\n")
    settings = settings_for(env)
    store = SessionStore(settings.sessions_db)
    session = new_session(store, settings, tmp_path)
    fake_minimax.script(Reply("ok"))
    agent, client = build_agent(settings, store, [])
    async with client:
        result = await agent.run_turn(session, "hi")
    assert result.error is None, result.error
    assert fake_minimax.requests[-1].body["top_k"] == 20
