import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2bridge.client.sse import ServerSentEvent, SSEDecoder, json_data


def decode(*chunks: bytes | str) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk.encode() if isinstance(chunk, str) else chunk)
    return events + decoder.finish()


def test_events_dispatch_on_blank_lines_with_their_names():
    events = decode("event: ping\ndata: {}\n\ndata: a\ndata: b\n\n")
    assert events == [ServerSentEvent("ping", "{}"), ServerSentEvent("message", "a\nb")]


def test_comments_are_ignored_and_a_last_event_without_blank_line_is_kept():
    assert decode(": keep-alive\n\ndata:x") == [ServerSentEvent("message", "x")]


def test_lines_with_carriage_returns_decode_like_plain_ones():
    assert decode("event: e\r\ndata: x\r\n\r\n") == [ServerSentEvent("e", "x")]
    assert decode("event: e\rdata: x\r\r") == [ServerSentEvent("e", "x")]


def test_a_carriage_return_ending_a_chunk_waits_for_a_line_feed_in_the_next():
    # Read at once, "\r" then "\n" would be two line ends, a blank line that splits the event.
    assert decode("event: e\r", "\ndata: x\r", "\n\r", "\n") == [ServerSentEvent("e", "x")]


def test_a_character_split_between_two_reads_arrives_whole():
    raw = 'data: {"text": "é→😀"}\n\n'.encode()
    for cut in range(len(raw) + 1):
        assert decode(raw[:cut], raw[cut:]) == [ServerSentEvent("message", '{"text": "é→😀"}')]


def test_bytes_that_are_not_utf8_become_replacement_characters_not_an_error():
    assert decode(b"data: a\xffb\n\n") == [ServerSentEvent("message", "a\ufffdb")]


def test_one_read_carrying_several_events_returns_them_all_in_order():
    decoder = SSEDecoder()
    batch = decoder.feed(b"data: 1\n\nevent: x\ndata: 2\n\n: ping\n\ndata: 3\n\ndata: 4")
    assert batch == [
        ServerSentEvent("message", "1"),
        ServerSentEvent("x", "2"),
        ServerSentEvent("message", "3"),
    ]
    assert decoder.finish() == [ServerSentEvent("message", "4")]


def test_fields_without_a_space_after_the_colon_and_unknown_fields_decode_by_the_spec():
    events = decode("event:e\ndata:x\nid: 7\nretry: 10\ndata\n\n\n\ndata: y\n\n")
    assert events == [ServerSentEvent("e", "x\n"), ServerSentEvent("message", "y")]


STREAM = (
    "event: message_start\ndata: {}\n\n: keep-alive\n\n"
    'event: content_block_delta\r\ndata: {"a": "é"}\r\n\r\n'
    "data: line one\ndata: line two\n\n"
    "data: [DONE]\n\n"
).encode()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_any_split_into_reads_gives_the_events_of_the_whole_stream(cuts: list[int]):
    bounds = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(bounds)]
    assert (
        decode(*chunks)
        == decode(STREAM)
        == [
            ServerSentEvent("message_start", "{}"),
            ServerSentEvent("content_block_delta", '{"a": "é"}'),
            ServerSentEvent("message", "line one\nline two"),
            ServerSentEvent("message", "[DONE]"),
        ]
    )


@pytest.mark.parametrize(
    "text", ['{"a": [1, 2.5, null, true]}', ' {"a": 1} ', '{"a": }', "", "[DONE]", "1 2", '"x"', "\ufeff{}"]
)
def test_event_data_parses_exactly_as_json_loads_parses_it(text: str):
    try:
        expected: object = json.loads(text)
    except ValueError as error:
        with pytest.raises(ValueError) as caught:
            json_data(text)
        assert str(caught.value) == str(error)
    else:
        assert json_data(text) == expected
