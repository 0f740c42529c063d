"""Thinking is stored and sent back intact for every server shape, streamed and not (issue 13).

Each shape is one way a real server carries M2's thinking (tests/fakes/minimax/openai_wire.py names the
launch flags). The strict fake refuses any later request whose history leaves an earlier turn's thinking
out or alters it, so a tool loop that completes with no violations proves the round trip.
"""

import anyio
import pytest

from m2bridge.agent import Agent
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.messages import AssistantTurn, UserTurn
from m2bridge.sessions import SessionStore
from tests.fakes.minimax import CallTools, Reply, default_thinking
from tests.support.env import m2_env, settings_for
from tests.support.tools import ReadNote, make_notes

# (how the environment reaches the fake, the fake's OpenAI shape or None for the protocol's own)
SHAPES = {
    "hosted-anthropic": ("anthropic", None),
    "hosted-openai-reasoning-split": ("openai-reasoning-split", None),
    "think-tags-in-content": ("openai-think-tags", "think_tags"),
    "vllm-reasoning": ("openai-think-tags", "reasoning"),
    "vllm-0.15-reasoning-and-reasoning-content": ("openai-think-tags", "reasoning_both"),
    "vllm-reasoning-content": ("openai-think-tags", "reasoning_content"),
    "sglang-reasoning-content": ("openai-think-tags", "sglang"),
    "no-reasoning-parser": ("openai-think-tags", "open_think"),
    "no-parsers-raw-tool-calls": ("openai-think-tags", "native"),
    "no-parsers-call-before-closing-think": ("openai-think-tags", "native_unclosed"),
}
# Thinking that a client reading only `reasoning_content` or only tags would lose or misplace.
CUSTOM_THINKING = "[turn custom] I will read it.\n  Keep  spacing, 中文, and a trailing newline.\n"


class JsonClient(ModelClient):
    """The real client asking for whole JSON answers instead of streams (the agent always streams)."""

    def exchange(self, request: ModelRequest, *, stream: bool = True):
        return super().exchange(request, stream=False)


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


def configured(tmp_path, fake, shape):
    mode, openai_thinking = SHAPES[shape]
    env = m2_env(tmp_path, fake, mode)
    if openai_thinking is not None:
        fake.openai_thinking = openai_thinking
    return settings_for(env)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_thinking_is_stored_and_sent_back_intact_for_every_server_shape(
    tmp_path, fake_minimax, shape, stream
):
    settings = configured(tmp_path, fake_minimax, shape)
    make_notes(tmp_path / "notes", 2)
    reader = ReadNote(tmp_path / "notes")
    store = SessionStore(settings.sessions_db)
    session = store.create(workspace=str(tmp_path), protocol=settings.api, model=settings.model, title="t").id
    fake_minimax.script(
        CallTools([("read_note", {"n": 0})]),
        CallTools([("read_note", {"n": 1})], thinking=CUSTOM_THINKING),
        Reply("Both notes read."),
        Reply("Still here."),
    )
    client = (ModelClient if stream else JsonClient)(settings, sleep=no_sleep)
    agent = Agent(settings=settings, client=client, store=store, system="You are tested.", tools=[reader])
    async with client:
        first = await agent.run_turn(session, "Read both notes.")
        second = await agent.run_turn(session, "Anything else?")

    assert first.error is None and second.error is None, (first.error, second.error)
    assert (first.stop_reason, first.steps, first.text) == ("end_turn", 3, "Both notes read.")
    assert second.text == "Still here." and reader.calls == 2
    # Every later request carried every earlier turn; the fake checked each one field for field.
    assert fake_minimax.violations == []
    assert len(fake_minimax.requests) == 4
    assert sum(m["role"] == "assistant" for m in fake_minimax.requests[-1].body["messages"]) == 3

    answers = [s.turn for s in store.load(session).turns if isinstance(s.turn, AssistantTurn)]
    emitted = fake_minimax.turns
    assert [a.thinking for a in answers] == [
        default_thinking("t1"),
        CUSTOM_THINKING,
        default_thinking("t3"),
        default_thinking("t4"),
    ]
    assert [a.text for a in answers] == ["", "", "Both notes read.", "Still here."]
    assert [[c.arguments for c in a.tool_calls] for a in answers] == [[{"n": 0}], [{"n": 1}], [], []]
    if settings.api == "openai":
        for answer, turn in zip(answers, emitted, strict=True):
            sent = {k: v for k, v in answer.provider_message.items() if v not in (None, "")}
            assert sent == {k: v for k, v in turn.canonical.items() if v not in (None, "")}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_thinking_cut_at_max_tokens_without_closing_tag_is_thinking_and_goes_back(
    tmp_path, fake_minimax, stream
):
    settings = configured(tmp_path, fake_minimax, "no-reasoning-parser")
    fake_minimax.openai_thinking = "thinking_cut"
    fake_minimax.script(Reply("never reached"), Reply("Next."))
    async with ModelClient(settings, sleep=no_sleep) as client:
        request = ModelRequest(system="s", turns=[UserTurn(text="Think hard.")])
        cut = await client.exchange(request, stream=stream).run()
        assert cut.thinking == default_thinking("t1") and cut.text == "" and not cut.tool_calls
        assert (cut.stop_reason, cut.incomplete) == ("max_tokens", False)
        again = ModelRequest(system="s", turns=[request.turns[0], cut, UserTurn(text="Go on.")])
        fake_minimax.openai_thinking = "open_think"  # the next answer has room to finish
        assert (await client.exchange(again, stream=stream).run()).text == "Next."
    assert fake_minimax.violations == []
