"""Where media lands and how results read: the output folder, safe unique names, the tool outcome."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from m2bridge.tools import MediaBlob, ToolOutcome
from mcp_tools.failure import ToolFailure
from mcp_tools.media.config import MediaConfig
from mcp_tools.paths import PathRefused
from mcp_tools.tool_context import ToolContext

__all__ = ["INLINE_LIMIT", "MediaItem", "claim_name", "media_outcome", "output_folder", "save_bytes"]

# Files up to this size also go back inline as MCP image/audio content; larger ones by path and URL only.
INLINE_LIMIT = 1024 * 1024

_MIME = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "mp4": "video/mp4",
}


def output_folder(ctx: ToolContext, config: MediaConfig, output_directory: str | None) -> Path:
    """The folder to write into: output_directory, else MINIMAX_MCP_BASE_PATH, else <home>/media.

    The first two are under the path policy (inside a root, no escape); only the server's own media
    folder is written outside the roots, and no caller-supplied text ever reaches it.
    """
    if output_directory is not None:
        raw = output_directory
        # As MiniMax's server does: a relative output_directory is relative to MINIMAX_MCP_BASE_PATH.
        if config.base_path and not output_directory.startswith("/"):
            raw = os.path.join(os.path.expanduser(config.base_path), output_directory)
        folder = ctx.resolve(raw, write=True)
    elif config.base_path:
        try:
            folder = ctx.resolve(os.path.expanduser(config.base_path), write=True)
        except PathRefused as err:
            raise ToolFailure(
                f"MINIMAX_MCP_BASE_PATH is not usable: {err}. Set it to a folder inside the server's roots "
                "or unset it to use the server's media folder."
            ) from err
    else:
        folder = config.media_home
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder
    if folder.exists() and not folder.is_dir():
        raise ToolFailure(f"{folder} exists and is not a folder; give a folder as output_directory")
    folder.mkdir(parents=True, exist_ok=True)
    # Re-checked after creating it: a symlink planted on the way must not redirect the write.
    return ctx.resolve(str(folder), write=True)


def _name(kind: str, ext: str) -> str:
    safe_kind = re.sub(r"[^a-z0-9_]", "", kind.lower())[:20] or "media"
    safe_ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:5] or "bin"
    return f"{safe_kind}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.{safe_ext}"


def claim_name(folder: Path, kind: str, ext: str, partial: str) -> Path:
    """Give a finished temporary file its final name, never replacing an existing file."""
    for _ in range(8):
        final = folder / _name(kind, ext)
        try:
            os.link(partial, final)  # fails if the name exists; never follows a planted link
        except FileExistsError:
            continue
        os.unlink(partial)
        os.chmod(final, 0o644)
        return final
    raise ToolFailure(f"could not find a free file name in {folder}")


def save_bytes(folder: Path, kind: str, ext: str, data: bytes) -> Path:
    for _ in range(8):
        final = folder / _name(kind, ext)
        try:
            fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(final)
            raise
        return final
    raise ToolFailure(f"could not find a free file name in {folder}")


@dataclass(frozen=True)
class MediaItem:
    kind: str  # image, audio or video
    path: Path | None = None
    url: str | None = None
    # Bytes already in hand (hex audio in url mode) that may be shown inline without a file.
    data: bytes | None = None
    ext: str = ""


def _blob(item: MediaItem) -> MediaBlob | None:
    if item.kind not in ("image", "audio"):
        return None
    ext = item.ext or (item.path.suffix.lstrip(".") if item.path else "")
    mime = _MIME.get(ext.lower())
    if mime is None or not mime.startswith(item.kind):
        return None
    data = item.data
    if data is None and item.path is not None:
        try:
            if item.path.stat().st_size > INLINE_LIMIT:
                return None
            data = item.path.read_bytes()
        except OSError:
            return None
    if data is None or len(data) > INLINE_LIMIT:
        return None
    return MediaBlob(kind=item.kind, mime_type=mime, data=data)


def media_outcome(headline: str, items: list[MediaItem], notes: tuple[str, ...] = ()) -> ToolOutcome:
    """Text with every saved path and source URL, artifacts for the session, small files inline."""
    lines = [headline]
    for number, item in enumerate(items, 1):
        label = f"{item.kind} {number}" if len(items) > 1 else item.kind
        if item.path is not None:
            lines.append(f"{label} saved to: {item.path}")
        if item.url:
            lines.append(f"{label} source URL: {item.url}")
        if item.path is None and not item.url:
            lines.append(f"{label}: returned inline, not saved")
    lines += notes
    artifacts = tuple(
        {"path": str(item.path) if item.path else "", "url": item.url or "", "kind": item.kind}
        for item in items
        if item.path is not None or item.url
    )
    media = tuple(blob for item in items if (blob := _blob(item)) is not None)
    return ToolOutcome("\n".join(lines), artifacts=artifacts, media=media)
