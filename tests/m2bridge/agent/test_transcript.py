from m2bridge.agent.transcript import transcript
from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    UserTurn,
)


def assistant(text, thinking="", calls=(), incomplete=False):
    blocks = [ThinkingBlock(text=thinking, signature="sig"), TextBlock(text=text), *calls]
    return AssistantTurn(
        protocol="anthropic", model="m", blocks=blocks, provider_message={}, incomplete=incomplete
    )


def test_a_transcript_carries_thinking_calls_and_results_as_plain_text():
    call = ToolCall(id="c1", name="read", arguments={"path": "a.py"})
    turns = [
        UserTurn(text="fix it"),
        assistant("", thinking="I should read a.py", calls=[call]),
        ToolResultsTurn(results=[ToolResult(tool_call_id="c1", name="read", content="print(1)")]),
        assistant("cut off", incomplete=True),
    ]
    text, dropped = transcript(turns, max_chars=10_000)
    assert dropped == 0
    assert "fix it" in text and "I should read a.py" in text and '{"path": "a.py"}' in text
    assert "print(1)" in text and "cut off" not in text


def test_the_oldest_turns_go_first_and_an_earlier_summary_stays():
    turns = [CompactionTurn(summary="the story so far", replaces_before=3)]
    turns += [UserTurn(text=f"message {i} " + "x" * 200) for i in range(20)]
    text, dropped = transcript(turns, max_chars=1_000)
    assert dropped > 0 and len(text) <= 1_100
    assert text.startswith("[summary of the turns before these]\nthe story so far")
    assert "message 19" in text and "message 0 " not in text


def test_one_turn_longer_than_the_room_is_cut_not_dropped():
    text, _ = transcript([UserTurn(text="y" * 50_000)], max_chars=2_000)
    assert 1_000 <= len(text) <= 2_200 and "characters left out" in text
