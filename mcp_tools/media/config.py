"""What the media tools read from the environment, once, when the tool set is built.

The names are MiniMax's own MCP server's (`MINIMAX_API_KEY`, `MINIMAX_API_HOST`, `MINIMAX_MCP_BASE_PATH`,
`MINIMAX_API_RESOURCE_MODE`) so a user switching over keeps their configuration.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import anyio

from m2bridge.config import GLOBAL_HOST, load_settings
from m2bridge.errors import ConfigError

__all__ = ["MediaConfig"]

Sleep = Callable[[float], Awaitable[None]]


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return min(max(value, low), high)


@dataclass(frozen=True)
class MediaConfig:
    api_key: str | None = field(default=None, repr=False)
    host: str = GLOBAL_HOST
    # The server's own media folder (<M2BRIDGE_HOME>/media): writable without being a root.
    media_home: Path = Path("media")
    # MINIMAX_MCP_BASE_PATH, as the user set it (resolved under the path policy at each call).
    base_path: str | None = None
    resource_mode: Literal["local", "url"] = "local"
    # How long a synchronous generate_video waits before handing back the task id.
    video_wait: float = 600.0
    # First delay of the video poll and of retry backoff; tests make it small.
    poll_base: float = 1.0
    poll_cap: float = 10.0
    # Downloads: idle limit per read and a deadline for the whole file.
    download_read_timeout: float = 60.0
    download_deadline: float = 600.0
    # Download size caps per kind (image, audio, video); None: downloads.MAX_BYTES.
    size_caps: Mapping[str, int] | None = None
    # When set, every API call's read timeout (tests use a short one; endpoints otherwise pick their own).
    api_read_timeout: float | None = None
    # Set when the configuration itself is unusable: every media call reports it.
    problem: str | None = None
    sleep: Sleep = anyio.sleep

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None, home: Path) -> MediaConfig:
        env = os.environ if env is None else env
        problem = None
        host = GLOBAL_HOST
        try:
            host = load_settings(env).host
        except ConfigError as err:
            problem = f"the configuration is unusable: {err}"
        mode = (env.get("MINIMAX_API_RESOURCE_MODE") or "local").strip().lower()
        if mode not in ("local", "url"):
            problem = f"MINIMAX_API_RESOURCE_MODE must be 'local' or 'url', not {mode!r}"
        # One knob for downloads: the whole file's deadline; no single read may stall longer than a minute.
        deadline = _number(env, "M2BRIDGE_MEDIA_DOWNLOAD_TIMEOUT", 600.0, 0.1, 3600.0)
        return cls(
            # The media API is MiniMax's own: its key, even when chat goes to a self-hosted base URL.
            api_key=env.get("MINIMAX_API_KEY") or None,
            host=host,
            media_home=home / "media",
            base_path=env.get("MINIMAX_MCP_BASE_PATH") or None,
            resource_mode="url" if mode == "url" else "local",
            video_wait=_number(env, "M2BRIDGE_VIDEO_WAIT", 600.0, 0.0, 3600.0),
            poll_base=_number(env, "M2BRIDGE_MEDIA_POLL_BASE", 1.0, 0.001, 60.0),
            download_read_timeout=min(60.0, deadline),
            download_deadline=deadline,
            problem=problem,
        )
