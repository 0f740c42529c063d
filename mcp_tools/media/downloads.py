"""Fetching a file the API pointed at: https only, no redirects, a size cap and a content-type check.

The file streams into a hidden temporary file in the destination folder and gets its final name only once
it is whole and of the expected type; anything else (too big, wrong type, timeout, cancellation) leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import anyio

from mcp_tools.failure import ToolFailure
from mcp_tools.loopback import is_loopback
from mcp_tools.media.outputs import claim_name

if TYPE_CHECKING:  # imported on the first download, not at start-up
    import httpx

__all__ = ["MAX_BYTES", "Downloaded", "check_download_url", "download_to"]

# Caps per kind: far above what MiniMax returns, small enough that a hostile URL cannot fill the disk.
MAX_BYTES = {"image": 50 * 2**20, "audio": 100 * 2**20, "video": 500 * 2**20}

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/ogg": "ogg",
    "audio/pcm": "pcm",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    content_type: str


def _is_loopback(host: str) -> bool:
    # A download URL's host may be spelled in any case, or with the root's trailing dot.
    return host.lower() in ("localhost", "localhost.") or is_loopback(host)


def check_download_url(url: str) -> None:
    """Refuse, before any connection, a URL that is not https (http only to a loopback host, for tests)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as err:
        raise ToolFailure(f"refused to download {url[:200]!r}: not a valid URL") from err
    if not host:
        raise ToolFailure(f"refused to download {url[:200]!r}: not an absolute URL")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return
    raise ToolFailure(
        f"refused to download {url[:200]}: only https URLs are followed (the API returned a "
        f"{parts.scheme or 'scheme-less'} URL); nothing was fetched"
    )


def _extension(content_type: str, url: str, default: str) -> str:
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    suffix = Path(urlsplit(url).path).suffix.lstrip(".").lower()
    return suffix if suffix.isalnum() and len(suffix) <= 5 else default


async def download_to(
    http: httpx.AsyncClient,
    url: str,
    folder: Path,
    *,
    kind: str,
    default_ext: str,
    allowed: tuple[str, ...],
    max_bytes: int,
    deadline: float,
) -> Downloaded:
    """Stream `url` into `folder` under a fresh `<kind>-<time>-<random>.<ext>` name."""
    import httpx  # already loaded by the media client that calls this

    check_download_url(url)
    shown = url.split("?", 1)[0][:200]
    partial: str | None = None
    try:
        with anyio.fail_after(deadline):
            async with http.stream("GET", url) as response:
                if 300 <= response.status_code < 400:
                    raise ToolFailure(f"download of {shown} was redirected; redirects are not followed")
                if response.status_code != 200:
                    raise ToolFailure(f"download of {shown} failed (HTTP {response.status_code})")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not any(content_type.startswith(prefix) for prefix in allowed):
                    raise ToolFailure(
                        f"download of {shown} refused: expected {' or '.join(allowed)}*, the server sent "
                        f"{content_type or 'no content type'}; nothing was saved"
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise ToolFailure(_too_big(shown, max_bytes, int(declared)))
                fd, partial = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=".tmp")
                size = 0
                with os.fdopen(fd, "wb") as out:
                    async for chunk in response.aiter_bytes(64 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise ToolFailure(_too_big(shown, max_bytes, None))
                        out.write(chunk)
        final = claim_name(folder, kind, _extension(content_type, url, default_ext), partial)
        partial = None
        return Downloaded(final, size, content_type)
    except TimeoutError as err:
        raise ToolFailure(
            f"download of {shown} took longer than {deadline:.0f} s and was abandoned; nothing was saved"
        ) from err
    except httpx.TimeoutException as err:
        raise ToolFailure(f"download of {shown} stalled (no data in time); nothing was saved") from err
    except httpx.TransportError as err:
        raise ToolFailure(f"download of {shown} failed ({type(err).__name__}); nothing was saved") from err
    finally:
        if partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(partial)


def _too_big(shown: str, cap: int, declared: int | None) -> str:
    size = f" ({declared / 2**20:.1f} MB)" if declared else ""
    return f"download of {shown} refused: larger than the {cap // 2**20} MB cap{size}; nothing was saved"
