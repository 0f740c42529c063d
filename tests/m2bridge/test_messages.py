"""Best-effort conversion of an assistant turn to the other wire protocol."""

from m2bridge.messages import AssistantTurn, TextBlock, ThinkingBlock, ToolCall, converted_blocks, think_text

CALL = ToolCall(id="toolu_1", name="search", arguments={"query": "x"})


def turn(protocol, *blocks):
    return AssistantTurn(protocol=protocol, model="MiniMax-M2", blocks=list(blocks), provider_message={})


def test_think_text_is_m2s_own_form_with_the_thinking_verbatim():
    assert think_text("  a\n b ") == "<think>\n  a\n b \n</think>\n\n"


def test_unsigned_thinking_goes_to_anthropic_as_think_text_at_the_start_of_the_text():
    openai = turn("openai", ThinkingBlock(text="plan"), TextBlock(text="Answer."), CALL)
    assert converted_blocks(openai, "anthropic") == [
        TextBlock(text="<think>\nplan\n</think>\n\nAnswer."),
        CALL,
    ]


def test_a_signed_thinking_block_stays_a_block_for_anthropic_and_becomes_text_for_openai():
    signed = ThinkingBlock(text="plan", signature="sig")
    anthropic = turn("anthropic", signed, TextBlock(text="A."))
    assert converted_blocks(anthropic, "anthropic") == [signed, TextBlock(text="A.")]
    assert converted_blocks(anthropic, "openai") == [TextBlock(text="<think>\nplan\n</think>\n\nA.")]


def test_several_thoughts_join_in_one_think_block_before_all_the_text():
    blocks = (ThinkingBlock(text="one", signature="s"), TextBlock(text="A"), ThinkingBlock(text="two"))
    converted = converted_blocks(turn("anthropic", *blocks, TextBlock(text="B"), CALL), "openai")
    assert converted == [TextBlock(text="<think>\none\ntwo\n</think>\n\nAB"), CALL]


def test_a_turn_with_only_a_tool_call_converts_to_just_the_call():
    assert converted_blocks(turn("openai", CALL), "anthropic") == [CALL]
