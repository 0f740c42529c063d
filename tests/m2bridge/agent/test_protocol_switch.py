"""A session that switches wire protocol and back, through the agent loop against the strict fake.

Same-protocol turns go back value-identical; turns from the other protocol go converted, their thinking
as `<think>` text (an unsigned thinking block is refused by Anthropic); a notice comes at each switch.
"""

import anyio
import pytest

from m2bridge.agent import Agent, Notice
from m2bridge.client.model import ModelClient
from m2bridge.sessions import SessionStore
from tests.fakes.minimax import CallTools, Fault, Reply
from tests.fakes.minimax.turns import default_thinking
from tests.support.env import m2_env, settings_for
from tests.support.tools import ReadNote, make_notes

OPENAI_MODES = ["openai-reasoning-split", "openai-think-tags", "openai-reasoning-content"]


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


class Session:
    """One stored session, continued turn by turn in whichever mode each turn names."""

    def __init__(self, tmp_path, fake):
        self.tmp_path, self.fake = tmp_path, fake
        make_notes(tmp_path / "notes", 4)
        self.id = None

    async def turn(self, mode, prompt, *steps):
        settings = settings_for(m2_env(self.tmp_path, self.fake, mode))
        store = SessionStore(settings.sessions_db)
        if self.id is None:
            info = store.create(workspace=str(self.tmp_path), protocol=settings.api, model=settings.model)
            self.id = info.id
        self.fake.script(*steps)
        events = []
        client = ModelClient(settings, sleep=no_sleep)
        agent = Agent(
            settings=settings,
            client=client,
            store=store,
            system="You are tested.",
            tools=[ReadNote(self.tmp_path / "notes")],
            on_event=events.append,
        )
        async with client:
            result = await agent.run_turn(self.id, prompt)
        assert result.error is None, result.error
        return [e.text for e in events if isinstance(e, Notice) and "converted best-effort" in e.text]


def think(turn):
    return f"<think>\n{default_thinking(turn.marker)}\n</think>\n\n"


def converted_for_anthropic(turn, text, calls):
    blocks = [{"type": "text", "text": think(turn) + text}]
    blocks += [
        {"type": "tool_use", "id": i, "name": name, "input": args}
        for i, (name, args) in zip(turn.tool_ids, calls, strict=True)
    ]
    return {"role": "assistant", "content": blocks}


def check_converted_for_openai(message, turn, text):
    assert message["content"] == think(turn) + text
    assert [c["id"] for c in message.get("tool_calls", [])] == list(turn.tool_ids)


def steps(n):
    """Two assistant turns: a tool call with some text, then a final answer."""
    calls = [("read_note", {"n": n})]
    return (CallTools(calls, text=f"Reading note {n}."), Reply(f"Note {n} read.")), calls


@pytest.mark.parametrize("openai_mode", OPENAI_MODES)
@pytest.mark.parametrize("order", ["anthropic-openai-anthropic", "openai-anthropic-openai"])
async def test_switching_protocol_and_back_keeps_every_turns_thinking_and_says_so_at_each_switch(
    tmp_path, fake_minimax, openai_mode, order
):
    fake_minimax.accept_converted = True
    first, second, _ = order.split("-")
    modes = {"anthropic": "anthropic", "openai": openai_mode}
    session = Session(tmp_path, fake_minimax)
    scripted = [steps(n) for n in range(3)]
    notices = [
        await session.turn(modes[protocol], f"turn {n}", *scripted[n][0])
        for n, protocol in enumerate([first, second, first])
    ]
    assert [len(n) for n in notices] == [0, 1, 1], notices
    assert f"last answered over {first}; on {second}," in notices[1][0]
    assert f"last answered over {second}; on {first}," in notices[2][0]

    last = fake_minimax.requests[-1]
    assert last.protocol == first
    said = [m for m in last.body["messages"] if m["role"] == "assistant"]
    emitted = fake_minimax.turns
    assert len(said) == 5 and len(emitted) == 6
    for n, (message, turn) in enumerate(zip(said, emitted, strict=False)):
        (call_step, reply_step), calls = scripted[n // 2]
        text, turn_calls = (call_step.text, calls) if n % 2 == 0 else (reply_step.text, [])
        if turn.protocol == first:
            assert message == turn.canonical, f"turn {turn.marker} was altered"
        elif first == "anthropic":
            assert message == converted_for_anthropic(turn, text, turn_calls)
        else:
            check_converted_for_openai(message, turn, text)

    # Once said, a switch is not announced again on the turns after it.
    assert await session.turn(modes[first], "one more", Reply("Still here.")) == []


async def test_a_switch_to_the_sessions_own_protocol_is_said_too(tmp_path, fake_minimax):
    # The old notice compared with the protocol the session started on, so switching back said nothing.
    fake_minimax.accept_converted = True
    session = Session(tmp_path, fake_minimax)
    assert await session.turn("anthropic", "a", Reply("one")) == []
    assert len(await session.turn("openai-reasoning-split", "b", Reply("two"))) == 1
    [notice] = await session.turn("anthropic", "c", Reply("three"))
    assert notice.startswith("This session started on the anthropic protocol and last answered over openai")
    assert "<think> text" in notice and notice.endswith("may be lost).")


async def test_no_notice_when_the_only_answer_on_the_other_protocol_was_cut_off(tmp_path, fake_minimax):
    # An incomplete turn is never sent back, so nothing is converted and nothing needs saying.
    fake_minimax.accept_converted = True
    session = Session(tmp_path, fake_minimax)
    assert await session.turn("anthropic", "a", Reply("one")) == []
    settings = settings_for(m2_env(tmp_path, fake_minimax, "openai-reasoning-split"))
    store = SessionStore(settings.sessions_db)
    fake_minimax.script(Fault.cut_stream(3, Reply("cut")))
    client = ModelClient(settings, sleep=no_sleep)
    agent = Agent(settings=settings, client=client, store=store, system="s", tools=[])
    async with client:
        await agent.run_turn(session.id, "b")
    assert store.load(session.id).turns[-1].turn.incomplete is True
    assert await session.turn("anthropic", "c", Reply("three")) == []
