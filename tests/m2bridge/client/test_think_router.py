from hypothesis import assume, given
from hypothesis import strategies as st

from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.think_router import ThinkRouter, split_generated


def route(chunks, expect_thinking=True):
    router = ThinkRouter(expect_thinking=expect_thinking)
    events = [e for chunk in chunks for e in router.feed(chunk)]
    thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return thinking, text


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
    # A tool-call wrapper would end the thinking (tested below), so the body holds none.
    body = body.replace("</think>", "").replace("<minimax:tool_call>", "")
    content = f"<think>{body}</think>answer"
    chunks = [content[i : i + size] for i in range(0, len(content), size)]
    thinking, text = route(chunks)
    # One newline right after <think> belongs to the tag, as in split_thinking.
    assert thinking == body.removeprefix("\n")
    assert text == "answer"


TOOL_CALL = (
    '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a.py</parameter>\n'
    "</invoke>\n</minimax:tool_call>"
)


def test_a_tool_call_before_any_closing_tag_ends_the_untagged_thinking():
    thinking, text = route(["I will read it.\n", TOOL_CALL])
    assert thinking == "I will read it." and text == ""


def test_a_tool_call_inside_an_opened_but_unclosed_think_ends_it():
    thinking, text = route(["<think>\nI will read it.\n", TOOL_CALL])
    assert thinking == "I will read it." and text == ""


def test_untagged_thinking_cut_off_with_no_closing_tag_stays_thinking():
    thinking, text = route(["I was still thinking about", " the plan when"])
    router_flushed = ThinkRouter(expect_thinking=True)
    events = router_flushed.feed("I was still thinking\n") + router_flushed.flush()
    assert thinking == "I was still thinking about the plan when" and text == ""
    assert events == [ThinkingDelta("I was still thinking"), ThinkingDelta("\n")]


def test_split_generated_reads_the_whole_text_as_the_router_reads_the_stream():
    assert split_generated("I will read it.\n" + TOOL_CALL) == ("I will read it.", TOOL_CALL)
    assert split_generated("cut off mid-thought") == ("cut off mid-thought", "")
    assert split_generated("plan\n</think>\n\nAnswer.") == ("plan", "Answer.")
    assert split_generated("  ") == (None, "  ")


@given(
    st.text(alphabet="ab<>/thinkminax:_col \n", max_size=60),
    st.booleans(),
    st.lists(st.integers(1, 9), min_size=1, max_size=30),
)
def test_untagged_thinking_then_a_tool_call_routes_alike_for_every_chunking(body, opened, sizes):
    # Thinking text that holds neither tag, so the only end is the tool call.
    thought = body.replace("</think>", "").replace("<minimax:tool_call>", "").replace("<think>", "")
    assume(thought.strip() and not thought.lstrip().startswith("<"))
    content = ("<think>\n" if opened else "") + thought + "\n" + TOOL_CALL
    chunks, at = [], 0
    for size in sizes * (len(content) // sum(sizes) + 1):
        if at >= len(content):
            break
        chunks.append(content[at : at + size])
        at += size
    router = ThinkRouter(expect_thinking=True)
    events = [e for chunk in chunks for e in router.feed(chunk)] + router.flush()
    shown = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    assert not [e for e in events if isinstance(e, TextDelta)]
    assert shown == thought
    assert split_generated(content) == (thought, TOOL_CALL)
