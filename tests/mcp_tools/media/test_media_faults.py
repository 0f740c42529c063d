"""Faults: retries that are safe, paid calls that are not repeated, clear errors, hostile downloads."""

from __future__ import annotations

import time

import pytest

from tests.fakes.media import MediaFault
from tests.mcp_tools.media.conftest import Media, assert_no_key, jobs


async def test_rate_limit_1002_is_retried_to_success(media: Media) -> None:
    media.fake.fault("/v1/image_generation", MediaFault.api_error(1002, "rate limit exceeded"))
    out = await media.call("text_to_image", prompt="x")
    assert not out.is_error, out.content
    assert len(jobs(media.fake, "/v1/image_generation")) == 2


async def test_http_429_is_retried_and_retry_after_is_honoured(media: Media) -> None:
    media.fake.fault("/v1/t2a_v2", MediaFault.http(429, retry_after=1))
    started = time.monotonic()
    out = await media.call("text_to_audio", text="x")
    assert not out.is_error, out.content
    assert time.monotonic() - started >= 0.9, "Retry-After: 1 was not waited for"
    assert len(jobs(media.fake, "/v1/t2a_v2")) == 2


async def test_a_5xx_on_a_read_is_retried(media: Media) -> None:
    media.fake.fault("/v1/get_voice", MediaFault.http(503, retry_after=None))
    out = await media.call("list_voices")
    assert not out.is_error, out.content
    assert len(jobs(media.fake, "/v1/get_voice")) == 2


async def test_a_job_post_that_times_out_is_not_sent_again(media: Media) -> None:
    # A read timeout shorter than the fake's stall: the request left, no answer came back.
    media.tune(api_read_timeout=0.5)
    media.fake.fault("/v1/image_generation", MediaFault.timeout(5))
    out = await media.call("text_to_image", prompt="x")
    assert out.is_error
    assert "may have started" in out.content and "NOT sent again" in out.content, out.content
    assert len(jobs(media.fake, "/v1/image_generation")) == 1


async def test_a_video_post_cut_off_mid_request_is_not_sent_again(media: Media) -> None:
    media.fake.fault("/v1/video_generation", MediaFault.disconnect())
    out = await media.call("generate_video", prompt="x")
    assert out.is_error and "may have started" in out.content, out.content
    assert "task list" in out.content
    assert len(jobs(media.fake, "/v1/video_generation")) == 1


async def test_a_5xx_on_a_job_post_is_not_sent_again(media: Media) -> None:
    media.fake.fault("/v1/music_generation", MediaFault.http(502))
    out = await media.call("music_generation", prompt="rock", lyrics="[Verse]\nyeah")
    assert out.is_error and "may have started" in out.content and "MiniMax account" in out.content
    assert len(jobs(media.fake, "/v1/music_generation")) == 1


async def test_rate_limits_on_a_job_post_are_retried_until_the_limit(media: Media) -> None:
    media.fake.fault("/v1/t2a_v2", *[MediaFault.api_error(1002, "rate limit")] * 4)
    out = await media.call("text_to_audio", text="x")
    assert out.is_error and "Rate limited" in out.content and "Gave up after 4 attempts" in out.content
    assert len(jobs(media.fake, "/v1/t2a_v2")) == 4


async def test_a_connection_that_never_opened_is_retried_then_explained() -> None:
    import socket

    from mcp_tools.failure import ToolFailure
    from mcp_tools.media.client import MediaClient

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async with MediaClient(f"http://127.0.0.1:{port}", "sk-x", sleep=record, backoff_base=1.0) as client:
        with pytest.raises(ToolFailure) as failure:
            await client.post("/v1/image_generation", {"prompt": "x"}, creates_job=True)
    assert "Could not connect" in str(failure.value) and "sk-x" not in str(failure.value)
    assert len(waits) == 3 and waits[0] <= 1.0 and waits[2] > waits[0]


async def test_2049_names_the_other_regions_host(media: Media) -> None:
    media.fake.fault("/v1/image_generation", MediaFault.api_error(2049, "invalid api key"))
    out = await media.call("text_to_image", prompt="x")
    assert out.is_error and "2049" in out.content
    assert "api.minimax.io" in out.content and "api.minimaxi.com" in out.content
    assert len(jobs(media.fake, "/v1/image_generation")) == 1


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (1008, "Top up your MiniMax account"),
        (2038, "real-name verification"),
        (1004, "MINIMAX_API_KEY"),
        (2013, "invalid params here"),
    ],
)
async def test_api_errors_are_clear_is_errors_with_the_trace_id(media: Media, code: int, words: str) -> None:
    media.fake.fault("/v1/t2a_v2", MediaFault.api_error(code, "invalid params here"))
    out = await media.call("text_to_audio", text="x")
    assert out.is_error and words in out.content and str(code) in out.content, out.content
    assert "Trace-Id" in out.content
    assert len(jobs(media.fake, "/v1/t2a_v2")) == 1
    assert_no_key(media.seen)


# -- downloads -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["oversize", "oversize_chunked"])
async def test_an_oversize_download_is_refused_and_leaves_nothing(media: Media, fault: str) -> None:
    media.fake.download_fault = fault
    # A small cap, so the chunked case (no Content-Length) is cut off by counting, well within the deadline.
    media.tune(size_caps={"image": 2**20, "audio": 2**20, "video": 2**20})
    out = await media.call("generate_video", prompt="x")
    assert out.is_error and "cap" in out.content, out.content
    leftovers = list(media.media_dir.iterdir()) if media.media_dir.exists() else []
    assert leftovers == [], leftovers


async def test_a_download_of_the_wrong_type_is_refused(media: Media) -> None:
    media.fake.download_fault = "wrong_type"
    out = await media.call("text_to_image", prompt="x")
    assert out.is_error and "text/html" in out.content, out.content
    assert not media.media_dir.exists() or list(media.media_dir.iterdir()) == []


async def test_a_non_https_url_is_refused_without_connecting(media: Media) -> None:
    media.fake.download_fault = "non_https"
    out = await media.call("text_to_image", prompt="x")
    assert out.is_error and "only https" in out.content, out.content
    assert not media.fake.downloads


async def test_a_stalled_download_times_out(media: Media) -> None:
    media.fake.download_fault = "slow"
    out = await media.call("text_to_audio", text="x", output_directory="out")
    if not out.is_error:  # hex audio needs no download: use a tool that downloads
        out = await media.call("text_to_image", prompt="x")
    assert out.is_error and ("stalled" in out.content or "longer than" in out.content), out.content
    assert not media.media_dir.exists() or list(media.media_dir.iterdir()) == []
