"""Video jobs: polling with progress, failure, async mode, the wait limit, cancellation, many at once."""

from __future__ import annotations

import anyio
from mcp import Client

from mcp_tools.server.app import build_server
from tests.mcp_tools.media.conftest import Media, jobs


def task_of(text: str) -> str:
    return text.split("task_id ")[1].split(".")[0].split()[0]


async def test_a_video_ready_at_the_third_poll_reports_progress_to_a_real_client(media: Media) -> None:
    media.fake.video_polls = 3
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        updates.append((done, total, message))

    async with Client(build_server(media.toolset.tools, media.toolset.context)) as client:
        result = await client.call_tool("generate_video", {"prompt": "a cat"}, progress_callback=on_progress)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert "saved to" in text and "source URL" in text
    assert len(updates) >= 3 and [u[0] for u in updates] == sorted(u[0] for u in updates)
    assert all("video task" in (u[2] or "") for u in updates)
    assert len(jobs(media.fake, "/v1/query/video_generation")) == 3


async def test_a_failed_video_is_an_error_and_downloads_nothing(media: Media) -> None:
    media.fake.video_fails = True
    out = await media.call("generate_video", prompt="x")
    assert out.is_error and "failed" in out.content, out.content
    assert not media.fake.downloads


async def test_async_mode_returns_the_task_id_at_once(media: Media) -> None:
    out = await media.call("generate_video", prompt="x", async_mode=True)
    assert not out.is_error and "task_id" in out.content and "query_video_generation" in out.content
    assert not jobs(media.fake, "/v1/query/video_generation")
    task_id = task_of(out.content)
    first = await media.call("query_video_generation", task_id=task_id)
    assert not first.is_error and "still" in first.content
    while "still" in (done := await media.call("query_video_generation", task_id=task_id)).content:
        pass
    assert not done.is_error and done.artifacts[0]["kind"] == "video", done.content


async def test_the_wait_limit_hands_back_the_task_id_with_instructions(media: Media) -> None:
    media.fake.video_polls = 1000
    media.tune(video_wait=0.2)
    out = await media.call("generate_video", prompt="x")
    # It gave up at the wait limit, far short of the 1,000 polls the job would need.
    assert len(jobs(media.fake, "/v1/query/video_generation")) < 100
    assert not out.is_error, out.content
    assert "query_video_generation" in out.content and "M2BRIDGE_VIDEO_WAIT" in out.content
    task_id = task_of(out.content.replace("task_id ", "task_id ", 1))
    assert task_id and not media.fake.downloads


async def test_a_cancelled_call_stops_polling_and_downloads_nothing(media: Media) -> None:
    media.fake.video_polls = 1000
    media.tune(poll_base=0.05, poll_cap=0.05)
    with anyio.move_on_after(0.5):
        await media.call("generate_video", prompt="x")
    task_id = jobs(media.fake, "/v1/query/video_generation")[0].query["task_id"]
    polls = media.fake.poll_count(task_id)
    assert polls >= 2
    await anyio.sleep(0.4)
    assert media.fake.poll_count(task_id) == polls, "polling went on after the call was cancelled"
    assert not media.fake.downloads


async def test_ten_videos_at_once_poll_side_by_side(media: Media) -> None:
    # Concurrency shown by order, not by timing (timings belong in bench/bench_media.py): every job is
    # created before any is downloaded, and their polls interleave.
    media.fake.video_polls = 3
    results: list[object] = []

    async def make(n: int) -> None:
        results.append(await media.call("generate_video", prompt=f"video {n}"))

    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(make, n)
    assert all(not r.is_error for r in results)  # type: ignore[attr-defined]
    assert len({r.artifacts[0]["path"] for r in results}) == 10  # type: ignore[attr-defined]
    order = [r.path for r in media.fake.requests]
    created = [i for i, path in enumerate(order) if path == "/v1/video_generation"]
    fetched = [i for i, path in enumerate(order) if path.startswith("/files/")]
    assert len(created) == 10 and len(fetched) == 10
    assert max(created) < min(fetched)
    polled = [r.query.get("task_id") for r in media.fake.requests if r.path == "/v1/query/video_generation"]
    assert len(set(polled[:10])) > 1, "the first polls all went to one job: the jobs ran one after another"
