from m2bridge.client.sse import ServerSentEvent, iter_sse


async def lines(*items):
    for item in items:
        yield item


async def collect(*items):
    return [e async for e in iter_sse(lines(*items))]


async def test_events_dispatch_on_blank_lines_with_their_names():
    events = await collect("event: ping", "data: {}", "", "data: a", "data: b", "")
    assert events == [ServerSentEvent("ping", "{}"), ServerSentEvent("message", "a\nb")]


async def test_comments_are_ignored_and_a_last_event_without_blank_line_is_kept():
    assert await collect(": keep-alive", "data:x") == [ServerSentEvent("message", "x")]
