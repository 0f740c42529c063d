"""The frame reader on real byte streams: good frames come through, and a bad one costs only itself."""

from __future__ import annotations

import io
import logging
import time

import pytest

from lsp.framing import MAX_BODY, MAX_HEADER_LINE, MAX_HEADER_LINES, FrameReader


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def bodies(data: bytes) -> list[bytes]:
    reader = FrameReader(io.BufferedReader(io.BytesIO(data)), logging.getLogger("test.framing"))
    found: list[bytes] = []
    for _ in range(1000):  # bounded: every call consumes input or ends it
        body = reader.read_frame()
        if body is None:
            return found
        found.append(body)
    raise AssertionError("the reader did not reach the end of its input")


def test_good_frames_come_through_whole_and_in_order() -> None:
    assert bodies(frame(b'{"a":1}') + frame(b"") + frame(b"x" * 70_000)) == [b'{"a":1}', b"", b"x" * 70_000]


@pytest.mark.parametrize(
    "bad",
    [
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: -5\r\n\r\n{}",
        b"Content-Length: 1e3\r\n\r\n{}",
        b"Content-Type: x\r\n\r\n{}",
        b"Content-Length: %d\r\n\r\n{}" % (MAX_BODY + 1),
        b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
        b"\xff\xfe garbage\r\n\r\n{}",
        b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        b"Content-Length: 2\r\n" + b"X-A: b\r\n" * MAX_HEADER_LINES + b"\r\n{}",
        b"X-Junk: " + b"y" * (3 * MAX_HEADER_LINE + 17),
    ],
    ids=[
        "not-a-number",
        "negative",
        "exponent",
        "no-length",
        "over-limit",
        "thousands-of-digits",
        "non-ascii",
        "two-lengths",
        "too-many-lines",
        "endless-line",
    ],
)
def test_a_bad_frame_is_dropped_and_the_next_one_is_read(
    bad: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "test.framing"):
        assert bodies(bad + frame(b'{"next":1}') + frame(b'{"after":2}')) == [b'{"next":1}', b'{"after":2}']
    assert "dropped a malformed message" in caplog.text


def test_a_header_split_across_reads_of_an_endless_line_is_still_found() -> None:
    # The next header starts just before a read boundary, so it arrives in two pieces.
    junk = b"Content-Length: abc\r\n\r\n" + b"z" * (MAX_HEADER_LINE - 8)
    assert bodies(junk + frame(b'{"next":1}')) == [b'{"next":1}']


def test_a_length_longer_than_the_body_swallows_what_follows_but_only_that() -> None:
    # The lie costs the frames it covers; the reader is back in step right after them.
    data = b"Content-Length: 40\r\n\r\n{}" + frame(b'{"a":1}') + frame(b'{"b":2}') + frame(b'{"c":3}')
    got = bodies(data)
    assert got[0] == (b"{}" + frame(b'{"a":1}') + frame(b'{"b":2}'))[:40]
    assert got[-1] == b'{"c":3}'


def test_a_body_that_contains_a_header_like_text_is_not_split() -> None:
    body = b'{"text": "Content-Length: 5\\r\\n\\r\\nhello"}'
    assert bodies(frame(body)) == [body]


def test_input_ending_in_a_header_or_a_body_ends_the_reading() -> None:
    assert bodies(b"Content-Length: 10\r\n") == []
    assert bodies(b"Content-Length: 10\r\n\r\n{}") == []
    assert bodies(b"Content-Length: abc\r\n\r\n{}") == []
    assert bodies(b"") == []


class Trickle(io.RawIOBase):
    """A raw stream that hands out at most three bytes per read, as a pipe may."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = min(3, len(buffer))
        piece, self._data = self._data[:size], self._data[size:]
        buffer[: len(piece)] = piece
        return len(piece)


def test_a_stream_that_returns_short_reads_still_gives_whole_frames() -> None:
    reader = FrameReader(Trickle(frame(b'{"a":1}') + frame(b"x" * 1000)), logging.getLogger("test.framing"))
    assert [reader.read_frame(), reader.read_frame(), reader.read_frame()] == [b'{"a":1}', b"x" * 1000, None]


def test_header_lines_of_blanks_and_tabs_are_read_in_linear_time() -> None:
    # A lazy value before trailing blanks once took quadratic time on such lines (0.3 s for 8 KB).
    padding = b"X-Pad:" + b" " * (MAX_HEADER_LINE - 10) + b"\r\n"
    started = time.perf_counter()
    found = bodies((padding * 20 + frame(b"{}")[:-2]) + b"{}" + b"Content-Length:\t2 \t\r\n\r\n[]")
    assert found == [b"{}", b"[]"]
    assert time.perf_counter() - started < 1.0
