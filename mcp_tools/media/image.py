"""text_to_image: POST /v1/image_generation, then the returned image URLs saved (or handed back)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from m2bridge.json_values import is_json_object, is_str_list
from m2bridge.tools import ToolOutcome
from mcp_tools.base import Arguments
from mcp_tools.failure import ToolFailure
from mcp_tools.media.common import COST_WARNING, MediaTool
from mcp_tools.media.outputs import MediaItem, media_outcome

__all__ = ["TextToImage", "TextToImageArgs"]

AspectRatio = Literal["1:1", "16:9", "4:3", "3:2", "2:3", "3:4", "9:16", "21:9"]


class TextToImageArgs(Arguments):
    model: str = Field(default="image-01", min_length=1, max_length=64, description="Image model.")
    prompt: str = Field(min_length=1, max_length=1500, description="What the image shows (up to 1500 chars).")
    aspect_ratio: AspectRatio = Field(default="1:1", description="Aspect ratio of the image.")
    n: int = Field(default=1, ge=1, le=9, description="How many images to generate, 1 to 9.")
    prompt_optimizer: bool = Field(
        default=True, description="Let MiniMax rewrite the prompt for better results."
    )
    output_directory: str | None = Field(
        default=None,
        description="Folder to save into, inside the server's roots; default MINIMAX_MCP_BASE_PATH or the "
        "server's media folder.",
    )


class TextToImage(MediaTool[TextToImageArgs]):
    name = "text_to_image"
    description = (
        "Generate images from a text prompt with MiniMax (image-01). Saves them and returns their paths and "
        "source URLs (small images also inline). " + COST_WARNING
    )
    arguments = TextToImageArgs

    async def run(self, args: TextToImageArgs) -> ToolOutcome:
        folder = None if self.url_mode else self.folder(args.output_directory)
        payload = {
            "model": args.model,
            "prompt": args.prompt,
            "aspect_ratio": args.aspect_ratio,
            "n": args.n,
            "prompt_optimizer": args.prompt_optimizer,
        }
        async with self.client() as client:
            body = await client.post("/v1/image_generation", payload, creates_job=True)
            data = body.get("data")
            urls = data.get("image_urls") if is_json_object(data) else None
            if not is_str_list(urls) or not urls:
                raise ToolFailure("MiniMax returned no image URLs; nothing was generated")
            if folder is None:
                items = [MediaItem("image", url=url) for url in urls]
                return media_outcome(f"Generated {len(urls)} image(s) (URLs only: resource mode url).", items)
            items: list[MediaItem] = []
            for url in urls:
                try:
                    got = await client.download(
                        url, folder, kind="image", default_ext="jpg", allowed=("image/",)
                    )
                except ToolFailure as err:
                    # Nothing lost: say what was saved and where the rest can still be fetched.
                    saved = ", ".join(str(item.path) for item in items) or "none"
                    raise ToolFailure(f"{err}. Saved before it: {saved}. All image URLs: {urls}") from err
                items.append(MediaItem("image", path=got.path, url=url))
        return media_outcome(f"Generated {len(items)} image(s).", items)
