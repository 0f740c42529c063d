from hypothesis import given
from hypothesis import strategies as st

from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.think_router import Accumulator, ThinkRouter


def route(chunks, expect_thinking=True):
    router = ThinkRouter(expect_thinking=expect_thinking)
    events = [e for chunk in chunks for e in router.feed(chunk)]
    thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return thinking, text


def test_incremental_chunks_accumulate():
    acc = Accumulator()
    assert [acc.feed(p) for p in ["Hel", "lo", " there"]] == ["Hel", "lo", " there"]
    assert acc.text == "Hello there"


def test_cumulative_chunks_are_recognised_and_not_doubled():
    acc = Accumulator()
    assert [acc.feed(p) for p in ["Hel", "Hello", "Hello there"]] == ["Hel", "lo", " there"]
    assert acc.text == "Hello there"


def test_think_tags_split_across_chunks_route_to_thinking_and_answer():
    thinking, text = route(["<thi", "nk>\nplan a", "nd b</th", "ink>\n\nThe answer."])
    assert thinking == "plan and b"
    assert text == "The answer."


def test_untagged_thinking_before_a_closing_tag_is_thinking():
    thinking, text = route(["I should read a.py", "</think>", "Done."])
    assert thinking == "I should read a.py" and text == "Done."


def test_native_tool_markup_is_not_shown_as_answer_text():
    _thinking, text = route(
        ["<think>x</think>Reading.", "<minimax:tool", '_call>\n<invoke name="a">', "</invoke>"]
    )
    assert text == "Reading." and "invoke" not in text


def test_a_held_back_half_tag_is_shown_when_the_stream_ends():
    router = ThinkRouter(expect_thinking=False)
    assert router.feed("a < b <minimax") == [TextDelta("a < b ")]
    assert router.flush() == [TextDelta("<minimax")]


def test_content_is_all_answer_once_reasoning_arrived_separately():
    router = ThinkRouter(expect_thinking=True)
    router.reasoning_seen()
    assert router.feed("Plain answer") == [TextDelta("Plain answer")]


@given(st.text(alphabet="ab<>/thinkminax:_col \n", max_size=80), st.integers(1, 7))
def test_routing_loses_no_characters_outside_the_tags(body, size):
    content = f"<think>{body.replace('</think>', '')}</think>answer"
    chunks = [content[i : i + size] for i in range(0, len(content), size)]
    thinking, text = route(chunks)
    # One newline right after <think> belongs to the tag, as in split_thinking.
    assert thinking == body.replace("</think>", "").removeprefix("\n")
    assert text == "answer"
