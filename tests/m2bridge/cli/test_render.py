"""The terminal renderer's retry lines, and consoles that keep long lines whole off a terminal."""

import io

import pytest

from m2bridge.cli.render import TerminalRenderer, console_for, retry_text
from m2bridge.client.events import RetryScheduled
from m2bridge.errors import ModelError


def retry(delay=2.0, **error):
    error.setdefault("code", "server")
    return RetryScheduled(ModelError("failed", **error), delay=delay, retry=1, limit=4)


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (retry(status=429, code="rate_limited"), "429, retrying in 2 s (retry 1 of 4)"),
        (retry(0.25, status=500), "HTTP 500, retrying in 0.2 s (retry 1 of 4)"),
        (retry(api_code=1002, code="rate_limited"), "MiniMax error 1002, retrying in 2 s (retry 1 of 4)"),
        (retry(code="connection"), "cannot connect, retrying in 2 s (retry 1 of 4)"),
        (retry(code="stream_cut"), "connection dropped, retrying in 2 s (retry 1 of 4)"),
        (retry(code="something_new"), "something_new, retrying in 2 s (retry 1 of 4)"),
    ],
)
def test_a_retry_line_says_the_cause_the_wait_and_the_count(event, text):
    assert retry_text(event) == text


def test_off_a_terminal_a_long_line_is_neither_wrapped_nor_cut():
    out = io.StringIO()
    renderer = TerminalRenderer(console_for(out))
    long = "x" * 150 + " " + "y" * 150
    renderer.console.print(long)
    renderer.retrying(retry(status=429, code="rate_limited"))
    assert out.getvalue().splitlines() == [long, "[m2bridge] 429, retrying in 2 s (retry 1 of 4)"]
