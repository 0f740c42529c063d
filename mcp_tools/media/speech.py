"""text_to_audio: POST /v1/t2a_v2 (speech synthesis), saved as a file or handed back as a URL."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from m2bridge.json_values import is_json_object
from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments
from mcp_tools.media.audio import audio_outcome
from mcp_tools.media.common import COST_WARNING, MediaTool

__all__ = [
    "DEFAULT_SPEECH_MODEL",
    "DEFAULT_VOICE_ID",
    "Bitrate",
    "TextToAudio",
    "TextToAudioArgs",
]

# MiniMax's documented defaults, as its own MCP server has them.
DEFAULT_SPEECH_MODEL = "speech-2.8-hd"
DEFAULT_VOICE_ID = "female-shaonv"

Emotion = Literal[
    "happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral", "calm", "fluent", "whisper"
]
SampleRate = Literal[8000, 16000, 22050, 24000, 32000, 44100]
Bitrate = Literal[32000, 64000, 128000, 256000]
LanguageBoost = Literal[
    "Chinese", "Chinese,Yue", "English", "Arabic", "Russian", "Spanish", "French", "Portuguese", "German",
    "Turkish", "Dutch", "Ukrainian", "Vietnamese", "Indonesian", "Japanese", "Italian", "Korean", "Thai",
    "Polish", "Romanian", "Greek", "Czech", "Finnish", "Hindi", "auto",
]  # fmt: skip


class TextToAudioArgs(Arguments):
    text: str = Field(min_length=1, max_length=10000, description="The text to speak (up to 10,000 chars).")
    output_directory: str | None = Field(
        default=None,
        description="Folder to save into, inside the server's roots; default MINIMAX_MCP_BASE_PATH or the "
        "server's media folder.",
    )
    voice_id: str = Field(
        default=DEFAULT_VOICE_ID,
        min_length=1,
        max_length=256,
        description="Voice id, e.g. female-shaonv, male-qn-qingse, or one from list_voices / voice_clone.",
    )
    model: str = Field(default=DEFAULT_SPEECH_MODEL, min_length=1, max_length=64, description="Speech model.")
    speed: float = Field(default=1.0, ge=0.5, le=2.0, description="Speaking speed, 0.5 to 2.")
    vol: float = Field(default=1.0, gt=0, le=10, description="Volume, above 0 up to 10.")
    pitch: int = Field(default=0, ge=-12, le=12, description="Pitch shift in semitones, -12 to 12.")
    # Left out unless given: MiniMax then picks the emotion that fits the text, instead of forcing every
    # sentence to sound happy (the official server's default).
    emotion: Emotion | None = Field(
        default=None, description="Emotion; omitted lets the model choose from the text."
    )
    sample_rate: SampleRate = Field(default=32000, description="Sample rate in Hz.")
    bitrate: Bitrate = Field(default=128000, description="Bitrate in bit/s (mp3).")
    channel: Literal[1, 2] = Field(default=1, description="1 mono, 2 stereo.")
    format: Literal["mp3", "pcm", "flac", "wav"] = Field(default="mp3", description="Audio format.")
    language_boost: LanguageBoost = Field(
        default="auto", description="Language hint for better pronunciation."
    )


class TextToAudio(MediaTool[TextToAudioArgs]):
    name = "text_to_audio"
    description = (
        "Turn text into speech with a MiniMax voice; saves the audio file and returns its path (small files "
        "also inline). " + COST_WARNING
    )
    arguments = TextToAudioArgs

    async def run(self, args: TextToAudioArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        voice: dict[str, Any] = {"voice_id": args.voice_id, "speed": args.speed, "vol": args.vol}
        voice["pitch"] = args.pitch
        if args.emotion is not None:
            voice["emotion"] = args.emotion
        payload: dict[str, Any] = {
            "model": args.model,
            "text": args.text,
            "voice_setting": voice,
            "audio_setting": {
                "sample_rate": args.sample_rate,
                "bitrate": args.bitrate,
                "format": args.format,
                "channel": args.channel,
            },
            "language_boost": args.language_boost,
        }
        if self.url_mode:
            payload["output_format"] = "url"
        async with self.client() as client:
            body = await client.post("/v1/t2a_v2", payload, creates_job=True, read_timeout=180.0)
            data = body.get("data")
            audio = data.get("audio") if is_json_object(data) else None
            return await audio_outcome(
                client,
                audio,
                folder,
                ext=args.format,
                headline=f"Speech generated with voice {args.voice_id}.",
            )
