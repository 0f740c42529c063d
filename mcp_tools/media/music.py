"""music_generation: POST /v1/music_generation (a song from a style prompt and lyrics).

MiniMax documents this endpoint; its own MCP server has no tool for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from m2bridge.json_values import is_json_object
from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments
from mcp_tools.media.audio import audio_outcome
from mcp_tools.media.common import COST_WARNING, MediaTool
from mcp_tools.media.speech import Bitrate

__all__ = ["MusicGeneration", "MusicGenerationArgs"]


class MusicGenerationArgs(Arguments):
    prompt: str = Field(
        min_length=1, max_length=2000, description="Style, mood and scene of the music (up to 2000 chars)."
    )
    lyrics: str = Field(
        min_length=1,
        max_length=3000,
        description="Lyrics, lines separated by \\n; [Intro] [Verse] [Chorus] [Bridge] [Outro] tags allowed.",
    )
    model: str = Field(default="music-2.0", min_length=1, max_length=64, description="Music model.")
    sample_rate: Literal[16000, 24000, 32000, 44100] = Field(default=44100, description="Sample rate in Hz.")
    bitrate: Bitrate = Field(default=256000, description="Bitrate in bit/s.")
    format: Literal["mp3", "wav", "pcm"] = Field(default="mp3", description="Audio format.")
    output_directory: str | None = Field(
        default=None,
        description="Folder to save into, inside the server's roots; default MINIMAX_MCP_BASE_PATH or the "
        "server's media folder.",
    )


class MusicGeneration(MediaTool[MusicGenerationArgs]):
    name = "music_generation"
    description = (
        "Compose a song from a style prompt and lyrics with MiniMax Music; saves the audio and returns its "
        "path. Takes up to a few minutes. " + COST_WARNING
    )
    arguments = MusicGenerationArgs

    async def run(self, args: MusicGenerationArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        payload: dict[str, Any] = {
            "model": args.model,
            "prompt": args.prompt,
            "lyrics": args.lyrics,
            "audio_setting": {
                "sample_rate": args.sample_rate,
                "bitrate": args.bitrate,
                "format": args.format,
            },
        }
        if self.url_mode:
            payload["output_format"] = "url"
        async with self.client() as client:
            # The endpoint answers only when the song is done: minutes, not seconds.
            body = await client.post("/v1/music_generation", payload, creates_job=True, read_timeout=600.0)
            data = body.get("data")
            audio = data.get("audio") if is_json_object(data) else None
            return await audio_outcome(client, audio, folder, ext=args.format, headline="Music generated.")
