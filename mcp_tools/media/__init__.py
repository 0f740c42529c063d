"""The media tools: MiniMax's image, video, speech, voice and music API, with its own server's names."""

from __future__ import annotations

from m2bridge.tools import Tool
from mcp_tools.media.config import MediaConfig
from mcp_tools.tool_context import ToolContext

__all__ = ["MediaConfig", "media_tools"]


def media_tools(ctx: ToolContext, config: MediaConfig, *, read_only: bool = False) -> list[Tool]:
    """All eight tools; read-only keeps the two that change nothing (the video query reports URLs only)."""
    # Imported here, not above: a server reads its media config at start and loads the tools on first call.
    from mcp_tools.media.image import TextToImage
    from mcp_tools.media.music import MusicGeneration
    from mcp_tools.media.speech import TextToAudio
    from mcp_tools.media.video import GenerateVideo, QueryVideoGeneration, QueryVideoGenerationUrls
    from mcp_tools.media.voices import ListVoices, VoiceClone, VoiceDesign

    if read_only:
        return [ListVoices(ctx, config), QueryVideoGenerationUrls(ctx, config)]
    return [
        TextToImage(ctx, config),
        GenerateVideo(ctx, config),
        QueryVideoGeneration(ctx, config),
        TextToAudio(ctx, config),
        ListVoices(ctx, config),
        VoiceClone(ctx, config),
        VoiceDesign(ctx, config),
        MusicGeneration(ctx, config),
    ]
