"""Audio the API returns either hex-encoded in the JSON or, with `output_format: "url"`, as a URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.tools import ToolOutcome
from mcp_tools.failure import ToolFailure
from mcp_tools.media.outputs import MediaItem, media_outcome, save_bytes

if TYPE_CHECKING:  # the client (httpx) is imported on the first media call, not at start-up
    from mcp_tools.media.client import MediaClient

__all__ = ["audio_outcome"]


async def audio_outcome(
    client: MediaClient,
    audio: object,
    folder: Path | None,
    *,
    ext: str,
    headline: str,
    notes: tuple[str, ...] = (),
) -> ToolOutcome:
    """Save (or hand back) what the API returned; `folder` None means url mode: write nothing."""
    if not isinstance(audio, str) or not audio:
        raise ToolFailure("MiniMax returned no audio")
    if audio.startswith(("https://", "http://")):
        if folder is None:
            return media_outcome(headline, [MediaItem("audio", url=audio)], notes)
        got = await client.download(audio, folder, kind="audio", default_ext=ext, allowed=("audio/",))
        return media_outcome(headline, [MediaItem("audio", path=got.path, url=audio)], notes)
    try:
        data = bytes.fromhex(audio)
    except ValueError as err:
        raise ToolFailure("MiniMax returned audio that is neither a URL nor hex; nothing was saved") from err
    if folder is None:
        # Url mode with no URL to give: the bytes go back inline (when small), no file is written.
        return media_outcome(headline, [MediaItem("audio", data=data, ext=ext)], notes)
    path = save_bytes(folder, "audio", ext, data)
    return media_outcome(headline, [MediaItem("audio", path=path, ext=ext)], notes)
