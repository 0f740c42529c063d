"""The workspace on disk: text in and out with encodings, BOMs, line endings and permissions kept.

Paths reaching here were already resolved by the path policy; this module only reads and writes them,
relative to folder descriptors checked on the way down from a root, in worker threads where a call could
stall (small reads from local file systems excepted, see `DiskWorkspace.read_decoded`).
Only regular files are read or written. Writes are atomic (a temp file in the same folder, then rename),
so a reader never sees half a file.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

import anyio

from mcp_tools.beneath import lstat_at, open_file, open_folder, open_parent, open_regular_at, replace_at
from mcp_tools.failure import ToolFailure
from mcp_tools.mounts import may_block

__all__ = ["MAX_TEXT_BYTES", "DecodedText", "DiskWorkspace", "TooLarge", "decode_bytes", "looks_binary"]

# Files larger than this are not loaded whole; read_file pages through them instead.
MAX_TEXT_BYTES = 32 * 1024 * 1024
# Files up to this size are read on the event loop (see DiskWorkspace.read_decoded).
_INLINE_BYTES = 256 * 1024


class TooLarge(ToolFailure):
    """A file too large to load whole."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def looks_binary(sample: bytes) -> bool:
    """A NUL byte outside a UTF-16/32 BOM file is the usual sign of binary data (git uses the same test)."""
    if any(sample.startswith(bom) for bom, _ in _BOMS[1:]):
        return False
    return b"\x00" in sample[:8192]


def decode_bytes(data: bytes) -> DecodedText:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return DecodedText(data.decode(encoding), encoding)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: cp1252 covers most legacy text; latin-1 never fails, as a last resort.
        try:
            return DecodedText(data.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            return DecodedText(data.decode("latin-1"), "latin-1")


class DiskWorkspace:
    """The `Workspace` the terminal and MCP front doors use.

    Paths come in as the real paths the path policy checked; each is opened by walking from the root that
    holds it (from `/` for one outside them, such as the spill folder: a real path has no symlink to meet
    either way), never through a symlink, so a folder swapped for a symlink after the check reaches
    nothing (see `mcp_tools.beneath`).
    """

    def __init__(self, roots: tuple[str, ...] = ()) -> None:
        self._roots = roots

    @property
    def roots(self) -> tuple[str, ...]:
        return self._roots

    async def read_text(self, path: str) -> str:
        return (await self.read_decoded(path)).text

    async def read_decoded(self, path: str) -> DecodedText:
        if may_block():  # a network or FUSE file system is mounted: nothing of it on the loop
            return await anyio.to_thread.run_sync(_read_decoded, path, self._roots)
        # Local file systems only: opened here, non-blocking and metadata only (a FIFO, socket or device
        # is refused unopened or on its descriptor), and a small file read here too: the thread hop costs
        # more than the read (see mcp_tools.mounts). A larger one is read in a worker thread.
        fd, info = open_file(path, self._roots)
        with os.fdopen(fd, "rb") as handle:
            if info.st_size <= _INLINE_BYTES:
                return _decoded(handle, info.st_size, path)
            return await anyio.to_thread.run_sync(_decoded, handle, info.st_size, path)

    async def write_text(self, path: str, text: str) -> str | None:
        await anyio.to_thread.run_sync(_write_text, path, text, self._roots)
        return None

    async def list_dir(self, path: str) -> list[str]:
        return await anyio.to_thread.run_sync(_list_names, path, self._roots)


def _read_decoded(path: str, anchors: tuple[str, ...]) -> DecodedText:
    fd, info = open_file(path, anchors)
    with os.fdopen(fd, "rb") as handle:
        return _decoded(handle, info.st_size, path)


def _decoded(handle: BinaryIO, size: int, path: str) -> DecodedText:
    if size > MAX_TEXT_BYTES:
        raise TooLarge(f"{path}: {size} bytes is too large to load whole")
    # Sized by the file: read(n) sets aside n bytes first, and 32 MB per small read is slow.
    data = handle.read(size + 1)
    if looks_binary(data):
        raise ToolFailure(f"{path}: binary file ({len(data)} bytes); not shown as text")
    return decode_bytes(data)


def _write_text(path: str, text: str, anchors: tuple[str, ...]) -> None:
    with open_parent(path, anchors) as (parent, name):
        encoding = "utf-8"
        mode = 0o666 & ~_UMASK
        if lstat_at(parent, name) is not None:
            # Refuses a FIFO, socket or device without opening it for writing (that would block).
            fd, info = open_regular_at(parent, name, path)
            with os.fdopen(fd, "rb") as handle:
                mode = stat.S_IMODE(info.st_mode)
                encoding = _encoding_to_keep(handle)
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            raise ToolFailure(f"{path}: the new text has characters {encoding} cannot hold") from None
        replace_at(parent, name, data, mode)


def _list_names(path: str, anchors: tuple[str, ...]) -> list[str]:
    with open_folder(path, anchors) as fd:
        return sorted(os.listdir(fd))


def _encoding_to_keep(handle: BinaryIO) -> str:
    head = handle.read(8192)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    handle.seek(0)
    return decode_bytes(handle.read(MAX_TEXT_BYTES)).encoding


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once at import: umask() is process-wide, so probing it from a worker thread would race.
_UMASK = _read_umask()
