"""The editor's open documents, kept as lists of lines by LSP's rules.

pygls keeps each document as one string and applies an incremental change by rebuilding all of it in
Python, line by line (about 7 ms per keystroke on a 50,000-line file); it also splits lines with
`str.splitlines`, which breaks at U+2028, U+0085 and form feeds where LSP does not, so positions drift
on such files. Here a change re-splits only the lines it touches and splices them in; the whole text is
joined once per version, when something asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lsp.text import code_units

__all__ = ["OpenDocument", "split_lines"]

# Breaks `str.splitlines` knows but LSP does not (LSP: \n, \r\n, \r only).
_FOREIGN_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_END = 1 << 62  # a column past any line's end (columns clamp to the end of the line)
_LSP_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def split_lines(text: str) -> list[str]:
    """Lines with their breaks, by LSP's rules; '' gives no lines."""
    if _FOREIGN_BREAKS.search(text) is None:
        return text.splitlines(keepends=True)
    return _LSP_LINE.findall(text)


def _column(line: str, character: int, encoding: str) -> int:
    """The index in `line` of an LSP column, clamped to the line's end (before its break)."""
    body = line.rstrip("\r\n")
    if encoding == "utf-32" or body.isascii():
        return min(character, len(body))
    used = 0
    for index, char in enumerate(body):
        if used >= character:
            return index
        used += code_units(char, encoding)
    return len(body)


@dataclass
class OpenDocument:
    uri: str
    version: int | None
    language_id: str | None
    lines: list[str] = field(default_factory=list[str])
    _text: str | None = None

    @classmethod
    def of(cls, uri: str, text: str, version: int | None, language_id: str | None) -> OpenDocument:
        return cls(uri, version, language_id, split_lines(text), text)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.lines)
        return self._text

    def replace_all(self, text: str, version: int | None) -> None:
        self.lines, self._text, self.version = split_lines(text), text, version

    def _clamp(self, position: tuple[int, int]) -> tuple[int, int]:
        """A position past the last line means the end of the document."""
        line, character = position
        count = len(self.lines)
        if line < count:
            return line, character
        if count and not self.lines[-1].endswith(("\n", "\r")):
            return count - 1, _END
        return count, 0

    def change(self, start: tuple[int, int], end: tuple[int, int], new_text: str, encoding: str) -> None:
        """Apply one incremental change (LSP positions in `encoding`); out-of-range positions clamp."""
        lines = self.lines
        count = len(lines)
        (start_line, start_char), (end_line, end_char) = sorted((self._clamp(start), self._clamp(end)))
        head = (
            lines[start_line][: _column(lines[start_line], start_char, encoding)]
            if start_line < count
            else ""
        )
        tail = lines[end_line][_column(lines[end_line], end_char, encoding) :] if end_line < count else ""
        first, last = start_line, min(end_line, count - 1)
        region = head + new_text + tail
        # A break may now straddle the region's edges (\r before, \n after): take the neighbour in.
        if first > 0 and lines[first - 1].endswith("\r") and region.startswith("\n"):
            first -= 1
            region = lines[first] + region
        if region.endswith("\r") and last + 1 < count and lines[last + 1].startswith("\n"):
            last += 1
            region += lines[last]
        lines[first : last + 1] = split_lines(region)
        self._text = None
