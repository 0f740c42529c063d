from m2bridge.client.sse import ServerSentEvent, SSEDecoder


def decode(*lines):
    decoder = SSEDecoder()
    events = [e for line in lines if (e := decoder.feed(line)) is not None]
    if (last := decoder.flush()) is not None:
        events.append(last)
    return events


def test_events_dispatch_on_blank_lines_with_their_names():
    events = decode("event: ping", "data: {}", "", "data: a", "data: b", "")
    assert events == [ServerSentEvent("ping", "{}"), ServerSentEvent("message", "a\nb")]


def test_comments_are_ignored_and_a_last_event_without_blank_line_is_kept():
    assert decode(": keep-alive", "data:x") == [ServerSentEvent("message", "x")]


def test_lines_with_carriage_returns_decode_like_plain_ones():
    assert decode("event: e\r", "data: x\r\n", "\r\n") == [ServerSentEvent("e", "x")]
