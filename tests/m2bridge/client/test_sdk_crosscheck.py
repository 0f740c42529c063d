"""The official `anthropic` and `openai` SDKs and m2bridge read the same bytes and must store the same turn.

Each server shape the strict fake can serve (tests/fakes/minimax) is recorded once over HTTP, then a
second local server replays those exact bytes, cut into odd-sized writes, to (a) the SDK's own
accumulator (`messages.stream(...).get_final_message()`, `chat.completions.stream(...)
.get_final_completion()`, and the non-streamed `create`) and (b) m2bridge's `ModelClient`. The SDK's
assembled message is the reference, field for field: thinking text and signature, text, tool-call ids,
names and arguments, stop reason and usage. Fields the OpenAI SDK does not know (`reasoning_details`,
`reasoning_content`, vLLM's `reasoning`) are compared through its `model_extra`.

Where m2bridge stores more than the SDK models, the mapping is stated beside the assertion (m2-facts.md):
- `<think>` in content: both keep the content verbatim, tags included; m2bridge also splits it into a
  thinking block (the text between the tags, less the one newline after `<think>` and before `</think>`)
  and an answer (after `</think>`, leading whitespace dropped).
- Native `<minimax:tool_call>` markup (no tool parser): the SDK sees plain content; m2bridge keeps that
  content verbatim and reads the calls out of it.
- OpenAI stop reasons are normalised: `stop` -> `end_turn`, `tool_calls` -> `tool_use`,
  `length` -> `max_tokens`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import anthropic
import anyio
import httpx
import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.config import Settings
from m2bridge.messages import AssistantTurn, TextBlock, ThinkingBlock, ToolCall, UserTurn
from m2bridge.tools import ToolSpec
from tests.fakes.local_fake import LocalFake
from tests.fakes.minimax import CallTools, FakeMiniMax, Reply, Step, default_thinking
from tests.fakes.minimax.openai_wire import OpenAIThinking

MODEL = "MiniMax-M2"
PROMPT = "Find the files and read the first one."

READ_FILE = ToolSpec(
    "read_file",
    "Read a file.",
    {
        "type": "object",
        "properties": {"path": {"type": "string"}, "line": {"type": "integer"}},
        "required": ["path"],
    },
)
SEARCH = ToolSpec(
    "search",
    "Search the workspace.",
    {
        "type": "object",
        "properties": {"query": {"type": "string"}, "globs": {"type": "array"}, "exact": {"type": "boolean"}},
    },
)
TOOLS = (READ_FILE, SEARCH)

# Arguments whose JSON text, cut every few characters, splits escapes, keys and multi-byte characters.
AWKWARD_ARGS = {"path": 'src/naïve "quoted"\\dir/中文.py', "line": 12}
SEARCH_ARGS = {"query": "a < b && c\n\ttab", "globs": ["*.py", "**/*.md"], "exact": False}
STEPS: dict[str, Step] = {
    "answer": Reply("The answer: 42 files, café ✓.\n\nSecond paragraph."),
    "one call": CallTools([("read_file", AWKWARD_ARGS)], text="Reading it now."),
    "several calls": CallTools(
        [("search", SEARCH_ARGS), ("read_file", AWKWARD_ARGS), ("search", {})], text="Three calls."
    ),
    "calls without text": CallTools([("read_file", {"path": "a.py"}), ("search", {"query": "x"})]),
}


@dataclass(frozen=True)
class Shape:
    """One way a server carries a turn, and how m2bridge is pointed at such a server."""

    protocol: Literal["anthropic", "openai"]
    # The fake's openai_thinking mode; None on the hosted shapes (reasoning_split is asked for instead).
    thinking: str | None = None
    hosted: bool = True
    # Where the SDK's message must hold the thinking: a reasoning field, or None for `<think>` in content.
    thinking_field: str | None = None

    @property
    def name(self) -> str:
        return self.protocol if self.thinking is None else f"{self.protocol}-{self.thinking}"


ANTHROPIC = Shape("anthropic")
REASONING_SPLIT = Shape("openai", thinking_field="reasoning_details")
THINK_TAGS = Shape("openai", "think_tags", hosted=False)
REASONING_CONTENT = Shape("openai", "reasoning_content", hosted=False, thinking_field="reasoning_content")
VLLM_REASONING = Shape("openai", "reasoning", hosted=False, thinking_field="reasoning")
# Every OpenAI-side shape of the fake (m2-facts.md, "Self-hosted M2"); the raw-markup ones have their own
# test below, because the SDK sees no tool calls there at all.
OPENAI_SHAPES = [
    REASONING_SPLIT,  # hosted MiniMax with reasoning_split
    THINK_TAGS,  # hosted default; vLLM minimax_m2_append_think; SGLang minimax-append-think
    VLLM_REASONING,  # vLLM 0.16+ --reasoning-parser minimax_m2
    Shape("openai", "reasoning_both", hosted=False, thinking_field="reasoning"),  # vLLM 0.15.1
    REASONING_CONTENT,  # vLLM before 0.15
    Shape("openai", "sglang", hosted=False, thinking_field="reasoning_content"),
    Shape("openai", "open_think", hosted=False),  # a tool parser, no reasoning parser
    Shape("openai", "thinking_cut", hosted=False),  # no reasoning parser, cut at max_tokens
]
RAW_MARKUP_SHAPES = [
    Shape("openai", "native", hosted=False),  # no parser at all
    Shape("openai", "native_unclosed", hosted=False),  # no parser, a call made before </think>
]


@dataclass
class Recording:
    body: bytes
    content_type: str


# --- recording from the strict fake, replaying to both readers ---------------------------------------


def record(fake: FakeMiniMax, shape: Shape, step: Step, *, stream: bool, chunk_size: int) -> Recording:
    """One real response of the fake to a first-turn request, as raw bytes."""
    fake.chunk_size = chunk_size
    if shape.thinking is not None:
        fake.openai_thinking = shape.thinking  # type: ignore[assignment]
    fake.script(step)
    messages = [{"role": "user", "content": PROMPT}]
    body: dict[str, Any] = {"model": MODEL, "max_tokens": 4096, "messages": messages, "stream": stream}
    if shape.protocol == "anthropic":
        url, headers = fake.anthropic_base + "/v1/messages", {"x-api-key": fake.api_key}
        body["tools"] = [{"name": t.name, "input_schema": dict(t.input_schema)} for t in TOOLS]
    else:
        url, headers = fake.openai_base + "/chat/completions", {"authorization": f"Bearer {fake.api_key}"}
        body["tools"] = [
            {"type": "function", "function": {"name": t.name, "parameters": dict(t.input_schema)}}
            for t in TOOLS
        ]
        if stream:
            body["stream_options"] = {"include_usage": True}
        if shape.hosted:
            body["reasoning_split"] = True
    with httpx.Client(trust_env=False, timeout=30) as http:
        response = http.post(url, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return Recording(response.content, response.headers["content-type"])


class Replay(LocalFake):
    """Answers every POST with the current recording, written in 7-byte pieces (splitting UTF-8 and lines)."""

    def __init__(self) -> None:
        self.recording: Recording | None = None
        self.paths: list[str] = []

    def _build_app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            await request.body()
            self.paths.append(request.url.path)
            assert self.recording is not None
            body = self.recording.body

            async def pieces() -> AsyncIterator[bytes]:
                for at in range(0, len(body), 7):
                    yield body[at : at + 7]

            if "text/event-stream" in self.recording.content_type:
                return StreamingResponse(pieces(), media_type="text/event-stream")
            return Response(body, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])


@pytest.fixture
def replay() -> Iterator[Replay]:
    with Replay() as server:
        yield server


def m2bridge_turn(replay: Replay, shape: Shape, tmp_path: Path, *, stream: bool) -> AssistantTurn:
    """The turn m2bridge stores, configured as a user of that server would configure it."""
    where: dict[str, Any] = (
        {"host": replay.host}
        if shape.hosted
        else {"base_url": replay.host + ("/anthropic" if shape.protocol == "anthropic" else "/v1")}
    )
    settings = Settings(api=shape.protocol, api_key="x", home=tmp_path, max_retries=0, **where)
    request = ModelRequest(system="", turns=[UserTurn(text=PROMPT)], tools=TOOLS)

    async def run() -> AssistantTurn:
        async with ModelClient(settings) as client:
            return await client.exchange(request, stream=stream).run()

    return anyio.run(run)


def sdk_anthropic(replay: Replay, *, stream: bool) -> anthropic.types.Message:
    messages: Any = [{"role": "user", "content": PROMPT}]
    with anthropic.Anthropic(base_url=replay.host + "/anthropic", api_key="x", max_retries=0) as client:
        if stream:
            with client.messages.stream(model=MODEL, max_tokens=4096, messages=messages) as events:
                return events.get_final_message()
        return client.messages.create(model=MODEL, max_tokens=4096, messages=messages)


def sdk_openai(replay: Replay, *, stream: bool) -> openai.types.chat.ChatCompletion:
    messages: Any = [{"role": "user", "content": PROMPT}]
    with openai.OpenAI(base_url=replay.host + "/v1", api_key="x", max_retries=0) as client:
        if stream:
            with client.chat.completions.stream(model=MODEL, messages=messages) as events:
                for _ in events:
                    pass
                try:
                    return events.get_final_completion()
                except openai.LengthFinishReasonError as cut:
                    # The SDK will not "parse" a turn cut at max_tokens, but hands over what it assembled.
                    return cut.completion
        return client.chat.completions.create(model=MODEL, messages=messages)


@dataclass
class Pair:
    """What the SDK assembled and what m2bridge stored, from the same recording."""

    sdk: Any
    turn: AssistantTurn
    recording: Recording
    chunks: list[dict[str, Any]] = field(default_factory=list)
    # The fake's turn number, which its default thinking carries ("" for hand-written recordings).
    turn_marker: str = ""


def read_both(
    fake: FakeMiniMax, replay: Replay, tmp_path: Path, shape: Shape, step: Step, *, stream: bool, chunk: int
) -> Pair:
    replay.recording = record(fake, shape, step, stream=stream, chunk_size=chunk)
    if shape.protocol == "anthropic":
        sdk: Any = sdk_anthropic(replay, stream=stream)
    else:
        sdk = sdk_openai(replay, stream=stream)
    turn = m2bridge_turn(replay, shape, tmp_path, stream=stream)
    assert len(replay.paths) == 2 and replay.paths[0] == replay.paths[1], replay.paths
    chunks = _chunks(replay.recording) if stream else []
    return Pair(sdk, turn, replay.recording, chunks, turn_marker=fake.turns[-1].marker)


def _chunks(recording: Recording) -> list[dict[str, Any]]:
    """The JSON payloads of the recorded SSE stream, for counting what the server repeated."""
    lines = recording.body.decode("utf-8").splitlines()
    data = [line[len("data: ") :] for line in lines if line.startswith("data: ")]
    return [json.loads(d) for d in data if d != "[DONE]"]


# --- field-for-field comparison ----------------------------------------------------------------------


def normalised(turn: AssistantTurn) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for block in turn.blocks:
        if isinstance(block, ThinkingBlock):
            out.append(("thinking", block.text, block.signature))
        elif isinstance(block, TextBlock):
            out.append(("text", block.text))
        elif isinstance(block, ToolCall):
            assert block.arguments_error is None, block.arguments_error
            out.append(("tool", block.id, block.name, block.arguments))
    return out


def assert_same_as_anthropic_sdk(message: anthropic.types.Message, turn: AssistantTurn) -> None:
    # The stored provider message is exactly the SDK's content list (every field the server set).
    assert turn.provider_message == {"role": "assistant", "content": [b.to_dict() for b in message.content]}
    expected: list[tuple[Any, ...]] = []
    for block in message.content:
        if block.type == "thinking":
            expected.append(("thinking", block.thinking, block.signature))
        elif block.type == "text":
            expected.append(("text", block.text))
        elif block.type == "tool_use":
            expected.append(("tool", block.id, block.name, block.input))
    assert normalised(turn) == expected
    assert turn.stop_reason == message.stop_reason
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (
        message.usage.input_tokens,
        message.usage.output_tokens,
    )


STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}


def openai_tool_calls(message: Any) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": c.type, "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in message.tool_calls or []
    ]


def assert_same_reasoning_details(
    stored: list[dict[str, Any]], sdk: list[dict[str, Any]], chunks: list[dict[str, Any]]
) -> None:
    """`reasoning_details` entries by index: text, index and type equal.

    Mapping for the other string fields: the SDK's generic accumulator (`accumulate_delta`) joins every
    string it sees again for an indexed list entry, and MiniMax repeats `id` and `format` in every chunk,
    so the SDK holds m2bridge's value once per chunk that carried it. A JSON body is compared as is.
    """
    assert [d["index"] for d in stored] == [d["index"] for d in sdk]
    for mine, theirs in zip(stored, sdk, strict=True):
        assert (mine["type"], mine["text"]) == (theirs["type"], theirs["text"])
        for key in set(mine) | set(theirs):
            if key in ("index", "type", "text"):
                continue
            seen = sum(
                1
                for chunk in chunks
                for choice in chunk.get("choices") or []
                for entry in choice.get("delta", {}).get("reasoning_details") or []
                if entry.get("index") == mine["index"] and key in entry
            )
            assert theirs.get(key) == (mine.get(key) * seen if chunks else mine.get(key)), key


def assert_same_as_openai_sdk(
    completion: openai.types.chat.ChatCompletion, turn: AssistantTurn, chunks: list[dict[str, Any]]
) -> None:
    choice = completion.choices[0]
    message = choice.message
    stored = turn.provider_message
    # Content verbatim, `<think>` tags and native markup included, as the SDK keeps it. A JSON null,
    # or no content at all, is the same to both: nothing.
    assert (stored.get("content") or None) == (message.content or None)
    assert stored.get("tool_calls", []) == openai_tool_calls(message)
    # Reasoning fields the SDK does not model live in its model_extra; m2bridge stores them under the
    # same names (reasoning_details' list entries are compared in the tests that use them).
    extra = dict(message.model_extra or {})
    for key in ("reasoning_content", "reasoning"):
        assert stored.get(key) == extra.get(key), key
    assert ("reasoning_details" in stored) == ("reasoning_details" in extra)
    if "reasoning_details" in stored:
        assert_same_reasoning_details(stored["reasoning_details"], extra["reasoning_details"], chunks)

    # The normalised blocks: thinking from whichever field carried it, else split out of the content.
    details = extra.get("reasoning_details")
    if details:
        thinking, answer = "".join(d["text"] for d in details), message.content or ""
    elif extra.get("reasoning") or extra.get("reasoning_content"):
        # vLLM 0.15.1 sends the same text under both names.
        thinking, answer = extra.get("reasoning") or extra.get("reasoning_content"), message.content or ""
    else:
        thinking, answer = split_tags(message.content or "")
    expected: list[tuple[Any, ...]] = [("thinking", thinking, None)] if thinking else []
    raw_calls = not message.tool_calls and "<minimax:tool_call>" in answer
    if raw_calls:
        # No tool parser: the answer is the text before the markup; the calls are checked by the caller.
        answer = answer[: answer.index("<minimax:tool_call>")].strip()
        expected += [("text", answer)] if answer else []
        assert [b for b in normalised(turn) if b[0] != "tool"] == expected
    else:
        expected += [("text", answer)] if answer else []
        expected += [
            ("tool", c.id, c.function.name, json.loads(c.function.arguments))
            for c in message.tool_calls or []
        ]
        assert normalised(turn) == expected
    # Calls read out of raw markup end the turn as tool_use, whatever finish_reason the server gave.
    assert turn.stop_reason == ("tool_use" if raw_calls else STOP_REASONS[str(choice.finish_reason)])
    assert completion.usage is not None
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )


def split_tags(content: str) -> tuple[str, str]:
    """Thinking and answer from raw content, as m2-facts.md states it for a server with no reasoning parser.

    M2's prompt opens `<think>`, so everything before `</think>` is thinking (an opening tag there is
    dropped), less one newline at each end; the answer follows, leading whitespace dropped. With no
    `</think>` (cut at max_tokens, or a tool call made before closing) the thinking runs to the tool-call
    wrapper or to the end (a newline before the wrapper is the template's, one at the very end is the
    thinking's own).
    """
    end = content.find("</think>")
    if end >= 0:
        head, answer = content[:end].removesuffix("\n"), content[end + len("</think>") :].lstrip()
    elif (call := content.find("<minimax:tool_call>")) >= 0:
        head, answer = content[:call].removesuffix("\n"), content[call:]
    else:
        head, answer = content, ""  # cut inside the thinking: its last newline is its own
    if head.lstrip().startswith("<think>"):
        head = head.lstrip().removeprefix("<think>")
    return head.removeprefix("\n"), answer


# --- the tests ---------------------------------------------------------------------------------------

# Streamed in pieces of 1, 3 and 8 characters (the fake's default), and not streamed (0: one JSON body).
READS = [pytest.param(n, id=f"streamed-in-{n}s") for n in (1, 3, 8)] + [pytest.param(0, id="not-streamed")]


def test_every_shape_of_the_fake_is_cross_checked():
    """A shape the fake learns must join the cross-check (and say where its thinking travels)."""
    covered = {s.thinking for s in OPENAI_SHAPES + RAW_MARKUP_SHAPES} - {None}
    assert covered == set(get_args(OpenAIThinking))


@pytest.mark.parametrize("chunk", READS)
@pytest.mark.parametrize("step", list(STEPS), ids=lambda s: s.replace(" ", "-"))
def test_an_anthropic_turn_is_stored_as_the_anthropic_sdk_assembles_it(
    fake_minimax, replay, tmp_path, step, chunk
):
    stream = chunk > 0
    pair = read_both(fake_minimax, replay, tmp_path, ANTHROPIC, STEPS[step], stream=stream, chunk=chunk or 8)
    assert_same_as_anthropic_sdk(pair.sdk, pair.turn)
    # The comparison is not vacuous: a signed thinking block and every scripted call came through.
    assert pair.sdk.content[0].type == "thinking" and pair.sdk.content[0].signature
    step_calls = getattr(STEPS[step], "calls", [])
    assert [(c.name, c.input) for c in pair.sdk.content if c.type == "tool_use"] == step_calls


@pytest.mark.parametrize("chunk", READS)
@pytest.mark.parametrize("step", list(STEPS), ids=lambda s: s.replace(" ", "-"))
@pytest.mark.parametrize("shape", OPENAI_SHAPES, ids=lambda s: s.name)
def test_an_openai_turn_is_stored_as_the_openai_sdk_assembles_it(
    fake_minimax, replay, tmp_path, shape, step, chunk
):
    stream = chunk > 0
    pair = read_both(fake_minimax, replay, tmp_path, shape, STEPS[step], stream=stream, chunk=chunk or 8)
    assert_same_as_openai_sdk(pair.sdk, pair.turn, pair.chunks)
    # Not vacuous: the SDK found the thinking where this shape puts it, and m2bridge stored it.
    message = pair.sdk.choices[0].message
    if shape.thinking_field is not None:
        assert (message.model_extra or {}).get(shape.thinking_field)
    assert pair.turn.thinking == default_thinking(pair.turn_marker)
    calls = [] if shape.thinking == "thinking_cut" else getattr(STEPS[step], "calls", [])
    assert [(c.name, c.arguments) for c in pair.turn.tool_calls] == calls


@pytest.mark.parametrize("chunk", READS)
@pytest.mark.parametrize("shape", RAW_MARKUP_SHAPES, ids=lambda s: s.name)
def test_native_tool_markup_is_kept_as_the_sdk_sees_it_and_its_calls_are_read_out(
    fake_minimax, replay, tmp_path, shape, chunk
):
    """No tool parser: the SDK sees only content. m2bridge keeps that content verbatim (it goes back as
    sent) and reads the `<minimax:tool_call>` markup in it into calls, converted by each tool's schema."""
    step = STEPS["several calls"]
    pair = read_both(fake_minimax, replay, tmp_path, shape, step, stream=chunk > 0, chunk=chunk or 8)
    message = pair.sdk.choices[0].message
    assert message.tool_calls is None and "<minimax:tool_call>" in (message.content or "")
    assert "tool_calls" not in pair.turn.provider_message
    assert_same_as_openai_sdk(pair.sdk, pair.turn, pair.chunks)
    assert pair.turn.thinking == default_thinking(pair.turn_marker)
    assert [(c.name, c.arguments) for c in pair.turn.tool_calls] == step.calls
    assert pair.turn.stop_reason == "tool_use"


# --- recorded bodies for shapes the fake does not produce ----------------------------------------------

RECORDED = Path(__file__).parent / "recorded"


def replayed(replay: Replay, tmp_path: Path, name: str, shape: Shape) -> Pair:
    path = RECORDED / name
    kind = "text/event-stream" if path.suffix == ".sse" else "application/json"
    replay.recording = Recording(path.read_bytes(), kind)
    stream = path.suffix == ".sse"
    if shape.protocol == "anthropic":
        sdk: Any = sdk_anthropic(replay, stream=stream)
    else:
        sdk = sdk_openai(replay, stream=stream)
    turn = m2bridge_turn(replay, shape, tmp_path, stream=stream)
    return Pair(sdk, turn, replay.recording, _chunks(replay.recording) if stream else [])


def test_interleaved_anthropic_blocks_with_awkward_json_splits_match_the_sdk(replay, tmp_path):
    pair = replayed(replay, tmp_path, "anthropic_interleaved_blocks.sse", ANTHROPIC)
    assert_same_as_anthropic_sdk(pair.sdk, pair.turn)
    assert [b.type for b in pair.sdk.content] == ["thinking", "text", "tool_use", "thinking", "tool_use"]
    assert pair.sdk.content[1].text == "Let me read it."
    assert pair.sdk.content[2].input == {"path": 'src/naïve/"q"/中文.py', "line": 12}
    assert pair.sdk.content[4].input == {}
    assert (pair.sdk.usage.input_tokens, pair.sdk.usage.output_tokens) == (120, 57)


def test_interleaved_openai_tool_call_chunks_match_the_sdk(replay, tmp_path):
    pair = replayed(replay, tmp_path, "openai_think_tags_interleaved_calls.sse", THINK_TAGS)
    assert_same_as_openai_sdk(pair.sdk, pair.turn, pair.chunks)
    assert [(c.name, c.arguments) for c in pair.turn.tool_calls] == [
        ("read_file", {"path": "a.py", "line": 3}),
        ("search", {"query": "café ✓"}),
    ]
    assert pair.turn.thinking == "Two reads at once." and pair.turn.text == "Reading both."


def test_incremental_chunks_that_look_like_a_resend_are_joined_as_the_sdk_joins_them(replay, tmp_path):
    """Finding 3 of issue 13: "1" then "10 files" is "110 files", however much it looks cumulative."""
    pair = replayed(replay, tmp_path, "openai_prefix_lookalike_chunks.sse", REASONING_CONTENT)
    extra = pair.sdk.choices[0].message.model_extra or {}
    assert extra["reasoning_content"] == "110 files found, 110 files read."
    assert pair.sdk.choices[0].message.content == "442 is the answer."
    assert_same_as_openai_sdk(pair.sdk, pair.turn, pair.chunks)


VLLM_REASONING = Shape("openai", "reasoning", hosted=False, thinking_field="reasoning")


@pytest.mark.parametrize("name", ["openai_vllm_reasoning.sse", "openai_vllm_reasoning.json"])
def test_vllm_reasoning_field_is_stored_as_the_sdk_reads_it(replay, tmp_path, name):
    """Finding 1 of issue 13: vLLM 0.16+ with --reasoning-parser minimax_m2 sends thinking in `reasoning`."""
    pair = replayed(replay, tmp_path, name, VLLM_REASONING)
    assert (pair.sdk.choices[0].message.model_extra or {})["reasoning"] == (
        "The user wants the file.\nI will read it."
    )
    assert_same_as_openai_sdk(pair.sdk, pair.turn, pair.chunks)
