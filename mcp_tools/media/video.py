"""generate_video and query_video_generation: a task that MiniMax runs for minutes, polled with backoff.

No call blocks: polling sleeps asynchronously (starting near a second, growing by half each time up to a
cap), reports progress, and stops at a wait limit by handing back the task id. Cancelling the call stops
the polling; nothing is downloaded afterwards. Every call has its own client, so jobs run side by side.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import anyio
from pydantic import Field, model_validator

from m2bridge.json_values import JSONObject, is_json_object
from m2bridge.tools import ToolOutcome, report_progress
from mcp_tools.base import Arguments
from mcp_tools.failure import ToolFailure
from mcp_tools.media.common import COST_WARNING, MediaTool
from mcp_tools.media.outputs import MediaItem, media_outcome

if TYPE_CHECKING:  # the client (httpx) is imported on the first media call, not at start-up
    from mcp_tools.media.client import MediaClient

__all__ = [
    "GenerateVideo",
    "GenerateVideoArgs",
    "QueryVideoArgs",
    "QueryVideoGeneration",
    "QueryVideoGenerationUrls",
]

DEFAULT_VIDEO_MODEL = "MiniMax-Hailuo-2.3"
# MiniMax's limit for a first-frame image.
_MAX_FRAME_BYTES = 20 * 2**20
_FRAME_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
_OUTPUT_DIRECTORY = Field(
    default=None,
    description="Folder to save the video into, inside the server's roots; default MINIMAX_MCP_BASE_PATH "
    "or the server's media folder.",
)
_NO_TASK_HINT = (
    "If it started, it shows in your MiniMax account's video task list; check there before retrying (its "
    "task id never arrived, so query_video_generation cannot find it)."
)


class GenerateVideoArgs(Arguments):
    model: str = Field(default=DEFAULT_VIDEO_MODEL, min_length=1, max_length=64, description="Video model.")
    prompt: str = Field(min_length=1, max_length=2000, description="What the video shows (up to 2000 chars).")
    first_frame_image: str | None = Field(
        default=None,
        description="Image to start from: an https URL, a data: URL, or a file path inside the roots.",
    )
    duration: Literal[6, 10] | None = Field(default=None, description="Length in seconds: 6 or 10.")
    resolution: Literal["768P", "1080P"] | None = Field(
        default=None, description="768P or 1080P (1080P only for 6-second videos)."
    )
    output_directory: str | None = _OUTPUT_DIRECTORY
    async_mode: bool = Field(
        default=False,
        description="Return the task id at once; fetch the video later with query_video_generation.",
    )

    @model_validator(mode="after")
    def _resolution_fits_duration(self) -> GenerateVideoArgs:
        if self.resolution == "1080P" and self.duration == 10:
            raise ValueError("1080P is available only for 6-second videos: use duration 6 or resolution 768P")
        return self


class QueryVideoArgs(Arguments):
    task_id: str = Field(min_length=1, max_length=200, description="The task id generate_video returned.")
    output_directory: str | None = _OUTPUT_DIRECTORY


async def _fetch(client: MediaClient, task_id: str, file_id: str, folder: Path | None) -> ToolOutcome:
    """A finished task as a saved file (or only its URL when `folder` is None)."""
    body = await client.get("/v1/files/retrieve", {"file_id": file_id})
    file = body.get("file")
    url = file.get("download_url") if is_json_object(file) else None
    if not isinstance(url, str) or not url:
        raise ToolFailure(f"MiniMax returned no download URL for task {task_id} (file {file_id})")
    if folder is None:
        return media_outcome(f"Video for task {task_id} is ready (URL only).", [MediaItem("video", url=url)])
    got = await client.download(url, folder, kind="video", default_ext="mp4", allowed=("video/",))
    return media_outcome(f"Video for task {task_id} is ready.", [MediaItem("video", path=got.path, url=url)])


def _status_of(body: JSONObject, task_id: str) -> tuple[str, str | None]:
    status = str(body.get("status") or "unknown")
    if status == "Fail":
        reason = str(body.get("error_message") or "no reason given")[:300]
        raise ToolFailure(
            f"video task {task_id} failed at MiniMax ({reason}); nothing to download. Adjust the prompt "
            "or image and generate again."
        )
    file_id = body.get("file_id")
    if status == "Success":
        if not file_id:
            raise ToolFailure(f"video task {task_id} succeeded but MiniMax gave no file id")
        return status, str(file_id)
    return status, None


class GenerateVideo(MediaTool[GenerateVideoArgs]):
    name = "generate_video"
    description = (
        "Generate a video (6 or 10 s) from a prompt, optionally from a first-frame image, with MiniMax "
        "Hailuo. Waits with progress updates and saves the video; with async_mode=true returns the task id "
        "at once (then use query_video_generation). " + COST_WARNING
    )
    arguments = GenerateVideoArgs

    async def run(self, args: GenerateVideoArgs) -> ToolOutcome:
        folder = None if self.url_mode or args.async_mode else self.folder(args.output_directory)
        payload: dict[str, object] = {"model": args.model, "prompt": args.prompt}
        if args.first_frame_image:
            payload["first_frame_image"] = await self._frame(args.first_frame_image)
        if args.duration is not None:
            payload["duration"] = args.duration
        if args.resolution is not None:
            payload["resolution"] = args.resolution
        async with self.client() as client:
            body = await client.post(
                "/v1/video_generation", payload, creates_job=True, job_hint=_NO_TASK_HINT
            )
            task_id = body.get("task_id")
            if not task_id:
                raise ToolFailure(f"MiniMax accepted the request but returned no task id. {_NO_TASK_HINT}")
            task_id = str(task_id)
            if args.async_mode:
                return ToolOutcome(
                    f"Video task submitted: task_id {task_id}. Call query_video_generation with this task_id "
                    "in a minute or two to fetch the video."
                )
            status, file_id = await self._wait(client, task_id)
            if file_id is None:
                return ToolOutcome(
                    f"Video task {task_id} is still {status} after {self.config.video_wait:.0f} s of waiting "
                    f"(the limit, M2BRIDGE_VIDEO_WAIT). It keeps running at MiniMax: call "
                    f"query_video_generation with task_id {task_id} later to fetch the video."
                )
            return await _fetch(client, task_id, file_id, folder)

    async def _wait(self, client: MediaClient, task_id: str) -> tuple[str, str | None]:
        deadline = anyio.current_time() + self.config.video_wait
        delay = self.config.poll_base
        poll = 0
        while True:
            poll += 1
            body = await client.get("/v1/query/video_generation", {"task_id": task_id})
            status, file_id = _status_of(body, task_id)
            await report_progress(poll, None, f"video task {task_id}: {status} (check {poll})")
            if file_id is not None:
                return status, file_id
            if anyio.current_time() + delay > deadline:
                return status, None
            await self.config.sleep(delay)
            delay = min(delay * 1.5, self.config.poll_cap)

    async def _frame(self, raw: str) -> str:
        """URLs go to MiniMax as given (it fetches them); a local file goes inline as a data URL."""
        if raw.startswith(("https://", "http://", "data:")):
            return raw
        path = self.ctx.resolve(raw)
        mime = _FRAME_TYPES.get(path.suffix.lower())
        if mime is None:
            raise ToolFailure(f"first_frame_image {raw}: use a .jpg, .jpeg, .png or .webp file")
        if not path.is_file():
            raise ToolFailure(f"first_frame_image {raw}: no such file")
        if os.path.getsize(path) > _MAX_FRAME_BYTES:
            raise ToolFailure(f"first_frame_image {raw}: larger than MiniMax's 20 MB limit")
        data = await anyio.Path(path).read_bytes()
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class QueryVideoGeneration(MediaTool[QueryVideoArgs]):
    name = "query_video_generation"
    description = (
        "Check a video task from generate_video (async_mode): while it runs, says so; when done, saves the "
        "video and returns its path and URL."
    )
    arguments = QueryVideoArgs
    destructive: ClassVar[bool] = False
    idempotent: ClassVar[bool] = True

    async def run(self, args: QueryVideoArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        async with self.client() as client:
            body = await client.get("/v1/query/video_generation", {"task_id": args.task_id})
            status, file_id = _status_of(body, args.task_id)
            if file_id is None:
                return ToolOutcome(
                    f"Video task {args.task_id} is still {status}. Call query_video_generation again later."
                )
            return await _fetch(client, args.task_id, file_id, folder)


class QueryVideoGenerationUrls(QueryVideoGeneration):
    """The read-only server's variant: reports the URL, writes nothing."""

    read_only: ClassVar[bool] = True

    @property
    def url_mode(self) -> bool:
        return True
