"""The editor's open buffers by real path, and what M2's applied edits left in them.

Documents arrive by URI; tools work on real paths (the path policy resolved them), so the index maps
one to the other. After an edit the editor applied, its didChange may come before or after the
answer; until it does, the text M2 wrote is what reads must see.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from pygls.uris import from_fs_path, to_fs_path

from lsp.documents import OpenDocument, split_lines
from mcp_tools.disk import MAX_TEXT_BYTES, decode_bytes, looks_binary

__all__ = ["Buffer", "Buffers", "Span", "disk_text", "real_path_of", "unsaved"]

# An LSP range as ((line, character), (line, character)) in the client's position encoding.
Span = tuple[tuple[int, int], tuple[int, int]]


def real_path_of(uri: str) -> str | None:
    """The real path of a file: URI, or None for other schemes (untitled:, git:, vscode-notebook-cell:)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.realpath(path) if path else None


@dataclass(frozen=True)
class Buffer:
    """One open buffer as the tools see it: the editor's text, or M2's applied edit not yet reported."""

    uri: str
    path: str
    document: OpenDocument
    expected: str | None = None

    @property
    def text(self) -> str:
        return self.expected if self.expected is not None else self.document.text

    @property
    def lines(self) -> list[str]:
        return split_lines(self.expected) if self.expected is not None else self.document.lines

    @property
    def version(self) -> int | None:
        return self.document.version

    @property
    def language_id(self) -> str | None:
        return self.document.language_id


class Buffers:
    def __init__(self) -> None:
        self._documents: dict[str, OpenDocument] = {}
        self._uri_by_path: dict[str, str] = {}
        self._expected: dict[str, str] = {}  # path -> text M2's applied edit left there

    # Editor notifications ---------------------------------------------------------------------------
    def opened(self, uri: str, text: str, version: int | None, language_id: str | None) -> None:
        self._documents[uri] = OpenDocument.of(uri, text, version, language_id)
        path = real_path_of(uri)
        if path is not None:
            self._uri_by_path[path] = uri
            self._expected.pop(path, None)

    def changed(
        self, uri: str, version: int | None, changes: list[tuple[Span | None, str]], encoding: str
    ) -> None:
        """Apply the editor's changes in order; a change without a range replaces the whole text."""
        document = self._documents.get(uri)
        if document is None:
            raise KeyError(f"didChange for {uri}, which was never opened")
        for span, text in changes:
            if span is None:
                document.replace_all(text, version)
            else:
                document.change(span[0], span[1], text, encoding)
        document.version = version
        path = real_path_of(uri)
        if path is not None:
            self._expected.pop(path, None)

    def closed(self, uri: str) -> None:
        self._documents.pop(uri, None)
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
        document = self._documents.get(uri) if uri else None
        if uri is None or document is None:
            return None
        return Buffer(uri, path, document, self._expected.get(path))

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
