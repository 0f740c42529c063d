"""Lines and positions as LSP counts them: lines end at \\n, \\r\\n or \\r (never at the other Unicode
breaks `str.splitlines` knows), and columns are in the negotiated units (UTF-16 unless agreed otherwise)."""

from __future__ import annotations

import re
from bisect import bisect_right

__all__ = ["LineIndex", "code_units"]

_BREAK = re.compile(r"\r\n|\r|\n")


def code_units(text: str, encoding: str) -> int:
    """How many columns `text` spans in the client's position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class LineIndex:
    """Offsets of line starts in one text, for converting between offsets and LSP positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _BREAK.finditer(text))]

    def line_text(self, line: int) -> str:
        """Line `line` without its line break ('' past the end)."""
        if line >= len(self.starts):
            return ""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def position(self, offset: int, encoding: str) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line, code_units(self.text[self.starts[line] : offset], encoding)

    def offset(self, line: int, character: int, encoding: str) -> int:
        """The offset of a client position, clamped to the line (as the spec asks of too-long columns)."""
        if line >= len(self.starts):
            return len(self.text)
        body = self.line_text(line)
        used = 0
        for index, char in enumerate(body):
            if used >= character:
                return self.starts[line] + index
            used += code_units(char, encoding)
        return self.starts[line] + len(body)
