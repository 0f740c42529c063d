from m2bridge.client.events import TextDelta, ThinkingDelta, ToolCallStarted, UsageUpdate, coalesced


def test_runs_of_deltas_join_into_one_and_other_events_keep_their_place():
    batch = [
        UsageUpdate(1, 0),
        ThinkingDelta("a"),
        ThinkingDelta("b"),
        TextDelta("c"),
        TextDelta("d"),
        TextDelta("e"),
        ToolCallStarted("read_file"),
        TextDelta("f"),
        ThinkingDelta("g"),
    ]
    assert coalesced(batch) == [
        UsageUpdate(1, 0),
        ThinkingDelta("ab"),
        TextDelta("cde"),
        ToolCallStarted("read_file"),
        TextDelta("f"),
        ThinkingDelta("g"),
    ]
