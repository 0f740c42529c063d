from m2bridge.agent.context_budget import choose_boundary, context_estimate, older_than, window
from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    TextBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    Usage,
    UserTurn,
)


def assistant(text="ok", calls=(), usage=None):
    blocks = [TextBlock(text=text), *calls]
    return AssistantTurn(
        protocol="anthropic", model="m", blocks=blocks, provider_message={"x": text}, usage=usage or Usage()
    )


def tool_round(i):
    call = ToolCall(id=f"c{i}", name="read", arguments={"i": i})
    return [
        assistant(f"step {i}" * 50, [call]),
        ToolResultsTurn(results=[ToolResult(tool_call_id=f"c{i}", name="read", content="x" * 400)]),
    ]


def test_window_sends_everything_without_compaction():
    turns = [UserTurn(text="a"), assistant()]
    assert window(turns) == (0, turns)


def test_window_sends_the_summary_then_turns_from_its_boundary():
    turns = [UserTurn(text="a"), assistant(), UserTurn(text="b"), assistant()]
    summary = CompactionTurn(summary="s", replaces_before=2)
    start, sent = window([*turns, summary])
    assert start == 2 and sent == [summary, turns[2], turns[3]]


def test_estimate_starts_from_the_last_exact_usage_figure():
    turns = [
        UserTurn(text="a"),
        assistant(usage=Usage(input_tokens=1000, output_tokens=50)),
        UserTurn(text="b" * 350),
    ]
    assert 1050 + 100 <= context_estimate(turns) <= 1050 + 120


def test_boundary_never_splits_a_tool_call_from_its_result():
    turns = [UserTurn(text="go")]
    for i in range(20):
        turns += tool_round(i)
    boundary = choose_boundary(turns, keep_tokens=600)
    assert boundary is not None and 0 < boundary < len(turns)
    assert not isinstance(turns[boundary], ToolResultsTurn)


def test_nothing_to_compact_in_a_tiny_history():
    assert choose_boundary([UserTurn(text="hi")], keep_tokens=10) is None


def test_the_boundary_is_a_stored_index_when_indexes_skip():
    # Record 0 could not be read, so the list starts at stored index 1.
    turns = [UserTurn(text="a"), assistant(), UserTurn(text="b"), assistant()]
    indexes = [1, 2, 3, 4]
    summary = CompactionTurn(summary="s", replaces_before=3)
    start, sent = window([*turns, summary], [*indexes, 5])
    assert start == 3 and sent == [summary, turns[2], turns[3]]


def test_choose_boundary_answers_with_a_stored_index():
    turns = [UserTurn(text="go")]
    for i in range(20):
        turns += tool_round(i)
    plain = choose_boundary(turns, keep_tokens=600)
    shifted = choose_boundary(turns, keep_tokens=600, indexes=[i + 7 for i in range(len(turns))])
    assert plain is not None and shifted == plain + 7


def test_usage_from_before_a_compaction_does_not_count_as_the_compacted_size():
    big = Usage(input_tokens=50_000, output_tokens=100)
    turns = [UserTurn(text="a"), assistant(usage=big), UserTurn(text="b"), assistant(usage=big)]
    compacted = [*turns, CompactionTurn(summary="short", replaces_before=2)]
    assert context_estimate(turns) > 50_000
    assert context_estimate(compacted) < 1_000


def test_older_than_carries_the_current_summary_and_the_turns_before_the_new_boundary():
    turns = [UserTurn(text=str(i)) for i in range(6)]
    summary = CompactionTurn(summary="s", replaces_before=2)
    history = [*turns, summary]
    assert older_than(4, history) == [summary, turns[2], turns[3]]


def test_a_known_latest_compaction_gives_what_the_scan_finds_and_is_taken_as_given():
    from m2bridge.agent.context_budget import latest_compaction

    rounds = [t for i in range(6) for t in tool_round(i)]
    first = CompactionTurn(summary="first", replaces_before=4)
    second = CompactionTurn(summary="second", replaces_before=8)
    for turns in (
        [UserTurn(text="go"), *rounds],
        [*rounds[:6], first, *rounds[6:]],
        [*rounds, first, second],
    ):
        latest = latest_compaction(turns)
        assert window(turns, latest=latest) == window(turns)
        assert context_estimate(turns, 100, latest=latest) == context_estimate(turns, 100)
        assert choose_boundary(turns, 300, latest=latest) == choose_boundary(turns, 300)
    # Given, it is not looked for again: the agent tracks it as it appends, so no step walks the history.
    turns = [*rounds, first, second]
    assert window(turns, latest=len(turns) - 2)[1][0] is first
