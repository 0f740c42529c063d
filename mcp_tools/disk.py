"""The workspace on disk: text in and out with encodings, BOMs, line endings and permissions kept.

Paths reaching here were already resolved by the path policy; this module only reads and writes them.
Writes are atomic (a temp file in the same folder, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio

from mcp_tools.errors import ToolFailure

__all__ = ["MAX_TEXT_BYTES", "DecodedText", "DiskWorkspace", "TooLarge", "decode_bytes", "looks_binary"]

# Files larger than this are not loaded whole; read_file pages through them instead.
MAX_TEXT_BYTES = 32 * 1024 * 1024
# Smaller files are read on the event loop: a thread hop costs more than the read itself.
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
    """The `Workspace` the terminal and MCP front doors use."""

    def __init__(self, roots: tuple[str, ...] = ()) -> None:
        self._roots = roots

    @property
    def roots(self) -> tuple[str, ...]:
        return self._roots

    async def read_text(self, path: str) -> str:
        return (await self.read_decoded(path)).text

    async def read_decoded(self, path: str) -> DecodedText:
        try:
            small = os.stat(path).st_size <= _INLINE_BYTES
        except OSError:
            small = True  # let the read itself report what is wrong
        if small:
            return _read_decoded(Path(path))
        return await anyio.to_thread.run_sync(_read_decoded, Path(path))

    async def write_text(self, path: str, text: str) -> str | None:
        await anyio.to_thread.run_sync(_write_text, Path(path), text)
        return None

    async def list_dir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))


def _read_decoded(path: Path) -> DecodedText:
    try:
        # O_NOFOLLOW: the policy resolved every symlink already, so one appearing now is a swap.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise ToolFailure(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ToolFailure(f"{path}: is a folder; use list_dir") from None
    except OSError as err:
        raise ToolFailure(f"{path}: cannot open ({err.strerror})") from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        raise ToolFailure(f"{path}: is a folder; use list_dir")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > MAX_TEXT_BYTES:
            raise TooLarge(f"{path}: {info.st_size} bytes is too large to load whole")
        # Sized by the file: read(n) sets aside n bytes first, and 32 MB per small read is slow.
        data = handle.read(info.st_size + 1)
    if looks_binary(data):
        raise ToolFailure(f"{path}: binary file ({len(data)} bytes); not shown as text")
    return decode_bytes(data)


def _write_text(path: Path, text: str) -> None:
    encoding = "utf-8"
    mode = 0o644
    if path.exists():
        with open(path, "rb") as handle:
            head = handle.read(8192)
        mode = stat.S_IMODE(path.stat().st_mode)
        encoding = _encoding_to_keep(path, head)
    else:
        mode = 0o666 & ~_UMASK
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        raise ToolFailure(f"{path}: the new text has characters {encoding} cannot hold") from None
    folder = path.parent
    if not folder.is_dir():
        raise ToolFailure(f"{folder}: no such folder")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".m2tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with _ignore_missing():
            os.unlink(temp)
        raise


def _encoding_to_keep(path: Path, head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES)
    return decode_bytes(data).encoding


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once at import: umask() is process-wide, so probing it from a worker thread would race.
_UMASK = _read_umask()


class _ignore_missing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, FileNotFoundError)
