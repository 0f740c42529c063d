"""What every media tool shares: its context and configuration, the client, the output folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from mcp_tools.base import Arguments, ModelTool
from mcp_tools.media.config import MediaConfig
from mcp_tools.media.outputs import output_folder
from mcp_tools.tool_context import ToolContext

if TYPE_CHECKING:
    from mcp_tools.media.client import MediaClient

__all__ = ["COST_WARNING", "MediaTool"]

COST_WARNING = "COST WARNING: this calls MiniMax's paid API; use it only when the user asked for it."

ArgsT = TypeVar("ArgsT", bound=Arguments)


class MediaTool(ModelTool[ArgsT]):
    # Generation spends money: it asks first in chat like the other tools with effects.
    destructive: ClassVar[bool] = True
    open_world: ClassVar[bool] = True

    def __init__(self, ctx: ToolContext, config: MediaConfig) -> None:
        self.ctx = ctx
        self.config = config

    @property
    def url_mode(self) -> bool:
        return self.config.resource_mode == "url"

    def client(self) -> MediaClient:
        # Imported on the first media call: httpx costs start-up time no other tool needs.
        from mcp_tools.media.client import MediaClient

        return MediaClient.from_config(self.config)

    def folder(self, output_directory: str | None) -> Path:
        return output_folder(self.ctx, self.config, output_directory)
