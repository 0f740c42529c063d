"""The editor's open buffers by real path, and what M2's applied edits left in them.

pygls keeps documents by URI; tools work on real paths (the path policy resolved them), so the index
maps one to the other. After an edit the editor applied, its didChange may come before or after the
answer; until it does, the text M2 wrote is what reads must see.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument, Workspace

from mcp_tools.disk import MAX_TEXT_BYTES, decode_bytes, looks_binary

__all__ = ["Buffer", "Buffers", "disk_text", "real_path_of", "unsaved"]


def real_path_of(uri: str) -> str | None:
    """The real path of a file: URI, or None for other schemes (untitled:, git:, vscode-notebook-cell:)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.realpath(path) if path else None


@dataclass(frozen=True)
class Buffer:
    uri: str
    path: str
    text: str
    version: int | None
    language_id: str | None


class Buffers:
    def __init__(self, workspace: Callable[[], Workspace | None]) -> None:
        self._workspace = workspace
        self._uri_by_path: dict[str, str] = {}
        self._expected: dict[str, str] = {}  # path -> text M2's applied edit left there

    # Editor notifications ---------------------------------------------------------------------------
    def opened(self, uri: str) -> None:
        path = real_path_of(uri)
        if path is not None:
            self._uri_by_path[path] = uri
            self._expected.pop(path, None)

    def changed(self, uri: str) -> None:
        path = real_path_of(uri)
        if path is not None:
            self._expected.pop(path, None)

    def closed(self, uri: str) -> None:
        path = real_path_of(uri)
        if path is not None and self._uri_by_path.get(path) == uri:
            del self._uri_by_path[path]
            self._expected.pop(path, None)

    # M2's edits -------------------------------------------------------------------------------------
    def expect(self, path: str, text: str) -> None:
        """An edit was applied: reads see `text` until the editor reports the buffer again."""
        self._expected[path] = text

    def settled(self, path: str) -> None:
        """The disk now holds what M2 wrote (saved): nothing to remember for a file not open."""
        if path not in self._uri_by_path:
            self._expected.pop(path, None)

    # Reading ----------------------------------------------------------------------------------------
    def uri_for(self, path: str) -> str:
        return self._uri_by_path.get(path) or from_fs_path(path) or f"file://{path}"

    def get(self, path: str) -> Buffer | None:
        uri = self._uri_by_path.get(path)
        document = self._document(uri) if uri else None
        if uri is None or document is None:
            return None
        text = self._expected.get(path, document.source)
        return Buffer(uri, path, text, document.version, document.language_id)

    def text(self, path: str) -> str | None:
        """What the editor shows for `path` (or M2's applied edit not yet reported), None if not open."""
        if path in self._expected:
            return self._expected[path]
        buffer = self.get(path)
        return buffer.text if buffer else None

    def __iter__(self) -> Iterator[Buffer]:
        for path in list(self._uri_by_path):
            buffer = self.get(path)
            if buffer is not None:
                yield buffer

    def _document(self, uri: str) -> TextDocument | None:
        workspace = self._workspace()
        if workspace is None:
            return None
        # Only documents the editor opened: get_text_document would read the disk for others.
        return workspace.text_documents.get(unquote(uri))


def disk_text(path: str) -> str | None:
    """The file's text on disk as tools would decode it; None if missing, unreadable, binary or huge."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_TEXT_BYTES:
            return None
        data = handle.read(size + 1)
    if looks_binary(data):
        return None
    return decode_bytes(data).text


# (path) -> ((mtime_ns, size), text): the disk copy is decoded again only when the file changed.
_disk_cache: dict[str, tuple[tuple[int, int], str | None]] = {}
_DISK_CACHE_SIZE = 256


def unsaved(buffer: Buffer) -> bool:
    """The buffer holds changes the disk does not (the user's, or an edit not yet saved)."""
    try:
        info = os.stat(buffer.path)
    except OSError:
        return True
    stamp = (info.st_mtime_ns, info.st_size)
    cached = _disk_cache.get(buffer.path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, disk_text(buffer.path))
        _disk_cache[buffer.path] = cached
        while len(_disk_cache) > _DISK_CACHE_SIZE:
            del _disk_cache[next(iter(_disk_cache))]
    return cached[1] != buffer.text
