"""Voices: list_voices (free), voice_clone (upload + clone) and voice_design (a voice from a description)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import anyio
from pydantic import Field

from m2bridge.json_values import is_json_object, is_list
from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments
from mcp_tools.budget import clip
from mcp_tools.failure import ToolFailure
from mcp_tools.media.audio import audio_outcome
from mcp_tools.media.common import COST_WARNING, MediaTool
from mcp_tools.media.downloads import check_download_url
from mcp_tools.media.outputs import media_outcome
from mcp_tools.media.speech import DEFAULT_SPEECH_MODEL

if TYPE_CHECKING:
    from mcp_tools.media.client import MediaClient

__all__ = [
    "ListVoices",
    "ListVoicesArgs",
    "VoiceClone",
    "VoiceCloneArgs",
    "VoiceDesign",
    "VoiceDesignArgs",
]

# MiniMax's rules for a custom voice id: 8 to 256 characters, a letter first, letters, digits, - and _,
# not ending in - or _.
VOICE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{6,254}[A-Za-z0-9]$"
# MiniMax's limit for a voice sample (mp3, m4a or wav, 10 s to 5 min).
_MAX_SAMPLE_BYTES = 20 * 2**20
_SAMPLE_TYPES = (".mp3", ".m4a", ".wav")
_SECTIONS = (
    ("system_voice", "System voices"),
    ("voice_cloning", "Cloned voices"),
    ("voice_generation", "Designed voices"),
)
_OUTPUT_DIRECTORY = Field(
    default=None,
    description="Folder to save the demo audio into, inside the server's roots; default "
    "MINIMAX_MCP_BASE_PATH or the server's media folder.",
)


class ListVoicesArgs(Arguments):
    voice_type: Literal["all", "system", "voice_cloning", "voice_generation"] = Field(
        default="all", description="Which voices: all, system, voice_cloning or voice_generation (designed)."
    )


class ListVoices(MediaTool[ListVoicesArgs]):
    name = "list_voices"
    description = "List the MiniMax voices usable with text_to_audio: system, cloned and designed ones. Free."
    arguments = ListVoicesArgs
    read_only: ClassVar[bool] = True
    idempotent: ClassVar[bool] = True
    destructive: ClassVar[bool] = False

    async def run(self, args: ListVoicesArgs) -> ToolOutcome:
        async with self.client() as client:
            body = await client.post("/v1/get_voice", {"voice_type": args.voice_type}, creates_job=False)
        lines: list[str] = []
        for key, title in _SECTIONS:
            voices = body.get(key)
            if not is_list(voices) or not voices:
                continue
            lines.append(f"{title} ({len(voices)}):")
            for voice in voices:
                if is_json_object(voice) and voice.get("voice_id"):
                    name = voice.get("voice_name") or ""
                    lines.append(f"- {voice['voice_id']}" + (f": {name}" if name else ""))
        text = "\n".join(lines) if lines else f"No voices of type {args.voice_type}."
        return ToolOutcome(clip(text, self.ctx.budget, self.ctx.spill, "list_voices"))


class VoiceCloneArgs(Arguments):
    voice_id: str = Field(
        pattern=VOICE_ID_PATTERN,
        description="Id for the new voice: 8-256 chars, a letter first, letters, digits, - and _, not "
        "ending in - or _.",
    )
    file: str = Field(
        min_length=1,
        description="Voice sample (mp3, m4a or wav, 10 s to 5 min, up to 20 MB): a path inside the roots, "
        "or an https URL with is_url=true.",
    )
    text: str | None = Field(
        default=None, max_length=2000, description="Text for a demo of the cloned voice (optional)."
    )
    output_directory: str | None = _OUTPUT_DIRECTORY
    is_url: bool = Field(default=False, description="file is an https URL rather than a local path.")


class VoiceClone(MediaTool[VoiceCloneArgs]):
    name = "voice_clone"
    description = (
        "Clone a voice from an audio sample; the new voice id then works with text_to_audio (MiniMax "
        "charges on its first use). " + COST_WARNING
    )
    arguments = VoiceCloneArgs

    async def run(self, args: VoiceCloneArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        async with self.client() as client:
            if args.is_url:
                name, content = await self._fetch_sample(client, args.file)
            else:
                name, content = await self._read_sample(args.file)
            uploaded = await client.upload("/v1/files/upload", {"purpose": "voice_clone"}, name, content)
            file = uploaded.get("file")
            file_id = file.get("file_id") if is_json_object(file) else None
            if not file_id:
                raise ToolFailure("MiniMax accepted the upload but returned no file id")
            payload: dict[str, Any] = {"file_id": file_id, "voice_id": args.voice_id}
            if args.text:
                payload["text"] = args.text
                payload["model"] = DEFAULT_SPEECH_MODEL
            body = await client.post("/v1/voice_clone", payload, creates_job=True)
            headline = f"Voice cloned: voice_id {args.voice_id} (use it with text_to_audio)."
            demo = body.get("demo_audio")
            if not demo:
                return media_outcome(headline, [])
            return await audio_outcome(client, demo, folder, ext="mp3", headline=headline)

    async def _read_sample(self, raw: str) -> tuple[str, bytes]:
        path = self.ctx.resolve(raw)
        if path.suffix.lower() not in _SAMPLE_TYPES:
            raise ToolFailure(f"file {raw}: MiniMax clones from mp3, m4a or wav files")
        if not path.is_file():
            raise ToolFailure(f"file {raw}: no such file")
        if path.stat().st_size > _MAX_SAMPLE_BYTES:
            raise ToolFailure(f"file {raw}: larger than MiniMax's 20 MB limit for a voice sample")
        return f"sample{path.suffix.lower()}", await anyio.Path(path).read_bytes()

    async def _fetch_sample(self, client: MediaClient, url: str) -> tuple[str, bytes]:
        # Fetched here under the download rules (https only, size cap, audio type), then uploaded.
        check_download_url(url)
        with tempfile.TemporaryDirectory(prefix="m2bridge-sample-") as scratch:
            got = await client.download(
                url,
                Path(scratch),
                kind="audio",
                default_ext="mp3",
                allowed=("audio/", "video/mp4"),
                max_bytes=_MAX_SAMPLE_BYTES,
            )
            return f"sample{got.path.suffix}", await anyio.Path(got.path).read_bytes()


class VoiceDesignArgs(Arguments):
    prompt: str = Field(min_length=1, max_length=2000, description="Describe the voice to create.")
    preview_text: str = Field(
        min_length=1, max_length=500, description="Text the new voice reads as a preview (up to 500 chars)."
    )
    voice_id: str | None = Field(
        default=None,
        pattern=VOICE_ID_PATTERN,
        description="Id for the new voice (optional; MiniMax picks one).",
    )
    output_directory: str | None = _OUTPUT_DIRECTORY


class VoiceDesign(MediaTool[VoiceDesignArgs]):
    name = "voice_design"
    description = (
        "Create a voice from a description; returns its voice_id (for text_to_audio) and saves a preview. "
        + COST_WARNING
    )
    arguments = VoiceDesignArgs

    async def run(self, args: VoiceDesignArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        payload: dict[str, Any] = {"prompt": args.prompt, "preview_text": args.preview_text}
        if args.voice_id:
            payload["voice_id"] = args.voice_id
        async with self.client() as client:
            body = await client.post("/v1/voice_design", payload, creates_job=True, read_timeout=180.0)
            voice_id = body.get("voice_id")
            if not voice_id:
                raise ToolFailure("MiniMax returned no voice id; no voice was designed")
            headline = f"Voice designed: voice_id {voice_id} (use it with text_to_audio)."
            trial = body.get("trial_audio")
            if not trial:
                return media_outcome(headline, [])
            return await audio_outcome(client, trial, folder, ext="mp3", headline=headline)
