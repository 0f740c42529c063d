"""The model client's streaming path against the strict fake: batches per network read, the same text
as the stored turn, and connections kept for the next request."""

import httpx
import pytest

from m2bridge.client.events import StreamEvent, TextDelta, ThinkingDelta, ToolCallStarted
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.messages import UserTurn
from tests.fakes.minimax import CallTools, Reply
from tests.support.env import MODES, m2_env, settings_for

THINKING = "Let me think about é and 😀 " * 40
TEXT = "The answer, in pieces: ünïcödé → 😀. " * 60


def request(text: str = "hi") -> ModelRequest:
    return ModelRequest(system="You are tested.", turns=[UserTurn(text=text)])


def shown(events: list[StreamEvent]) -> tuple[str, str]:
    thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    return thinking, "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_batches_show_exactly_the_text_and_thinking_the_stored_turn_holds(tmp_path, fake_minimax, mode):
    fake_minimax.chunk_size = 3  # many small events, cutting multi-byte characters' neighbours apart
    fake_minimax.script(
        Reply(TEXT, thinking=THINKING), CallTools([("read_file", {"path": "a.py"})], text="ok")
    )
    async with ModelClient(settings_for(m2_env(tmp_path, fake_minimax, mode))) as client:
        exchange = client.exchange(request())
        batches = [batch async for batch in exchange.batches()]
        assert exchange.turn is not None
        assert all(batches), "no empty batch is handed out"
        thinking, text = shown([e for batch in batches for e in batch])
        # Shown thinking may keep the newline a server puts before </think>; the stored turn does not.
        assert (thinking.removesuffix("\n"), text) == (exchange.turn.thinking, exchange.turn.text)
        assert (exchange.turn.thinking, exchange.turn.text) == (THINKING, TEXT)

        again = client.exchange(request("go on"))
        events = [event async for event in again]
        assert again.turn is not None and [c.name for c in again.turn.tool_calls] == ["read_file"]
        # Native markup in content is parsed once the turn is complete, so no call is announced early.
        announced = [] if mode == "openai-native-tool-markup" else ["read_file"]
        assert [e.name for e in events if isinstance(e, ToolCallStarted)] == announced
        assert shown(events)[1] == again.turn.text == "ok"


@pytest.mark.parametrize("mode", ["anthropic", "openai-think-tags"])
async def test_a_streamed_answer_leaves_its_connection_open_for_the_next_request(
    tmp_path, fake_minimax, mode
):
    # A half-read response is closed, not pooled: the next request would pay a new connection (and
    # with a hosted API, a TLS handshake). The local port tells which connection carried a response.
    ports: list[object] = []

    async def note_port(response: httpx.Response) -> None:
        ports.append(response.extensions["network_stream"].get_extra_info("client_addr"))

    fake_minimax.script(Reply(TEXT, thinking=THINKING), Reply("second"), Reply("third"))
    async with httpx.AsyncClient(event_hooks={"response": [note_port]}) as http:
        client = ModelClient(settings_for(m2_env(tmp_path, fake_minimax, mode)), http=http)
        for prompt in ("one", "two", "three"):
            await client.exchange(request(prompt)).run()
    assert len(ports) == 3 and len(set(ports)) == 1, ports
