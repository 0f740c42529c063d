"""LSP frames (`Content-Length: N`, a blank line, N bytes) read from a stream no one vouches for.

pygls's own loop (`pygls.io_.run_async`) ignores a header it cannot read and waits for a length that never
comes: one `Content-Length: abc` and every later message is swallowed as the body of the one before, so the
server stays alive but deaf for good. Here a bad header block costs that one message: the reason goes to the
log, the bytes up to the next line ending in a plausible `Content-Length:` header are dropped, and reading
goes on from there. Nothing is unbounded: a header line, the number of header lines and a body each have a
limit, checked before anything is allocated for them.
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

__all__ = ["MAX_BODY", "MAX_HEADER_LINE", "MAX_HEADER_LINES", "FrameReader"]

MAX_HEADER_LINE = 8192
MAX_HEADER_LINES = 32
# Far above any real message (a didOpen of a large file), far below what would hurt to allocate.
MAX_BODY = 64 * 1024 * 1024

_NAME = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# Greedy value, trailing blanks stripped in code: a lazy value before `[ \t]*` backtracks quadratically
# on a long line of spaces.
_HEADER = re.compile(rb"(" + _NAME + rb"):([\x20-\x7e\t]*)\r?\n")
_DIGITS = re.compile(rb"[0-9]+")
# A line ending in this is where a new message plausibly starts; a body's own text cannot end a line so
# (JSON escapes its line breaks).
_RESYNC = re.compile(rb"content-length:[ \t]*[0-9]+[ \t]*\r?\n", re.IGNORECASE)
_NEEDLE = b"content-length:"
# What of an unfinished (over-long) line is kept while skipping, so a header split across reads is found.
_TAIL = 128


class _Malformed(Exception):
    """A header block that cannot be trusted; the message is the reason, written for the log."""


class FrameReader:
    """Blocking reads of whole frames; run it in a worker thread, never on the event loop."""

    def __init__(self, stream: BinaryIO, logger: logging.Logger) -> None:
        self._stream = stream
        self._log = logger
        self._pending: bytes | None = None

    def read_frame(self) -> bytes | None:
        """The next message body (not yet parsed), or None once the stream has ended."""
        while True:
            try:
                length = self._read_header_block()
            except _Malformed as bad:
                reason, line = bad.args
                self._log.warning(
                    "dropped a malformed message (%s); reading on from the next Content-Length header",
                    reason,
                )
                if not self._resync(line[1:]):
                    return None
                continue
            if length is None:
                return None
            body = self._read_exactly(length)
            if len(body) < length:
                self._log.warning("input ended inside a message body (%d of %d bytes)", len(body), length)
                return None
            return body

    def _read_exactly(self, length: int) -> bytes:
        """`length` bytes, fewer only at the end of input (a raw stream may return less per read)."""
        chunks: list[bytes] = []
        while length > 0:
            chunk = self._stream.read(length)
            if not chunk:
                break
            chunks.append(chunk)
            length -= len(chunk)
        return b"".join(chunks)

    def _readline(self) -> bytes:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self._stream.readline(MAX_HEADER_LINE)

    def _read_header_block(self) -> int | None:
        """The block's Content-Length, None at the end of input; raises _Malformed with the offending line."""
        length: int | None = None
        lines = 0
        while True:
            line = self._readline()
            if not line:
                if lines:
                    self._log.warning("input ended inside a message header")
                return None
            if not line.endswith(b"\n"):
                raise _Malformed(f"a header line longer than {MAX_HEADER_LINE} bytes", line)
            if line in (b"\r\n", b"\n"):
                if not lines:
                    continue  # a stray line break between messages is harmless
                if length is None:
                    raise _Malformed("a header block without Content-Length", line)
                return length
            lines += 1
            if lines > MAX_HEADER_LINES:
                raise _Malformed(f"more than {MAX_HEADER_LINES} header lines", line)
            match = _HEADER.fullmatch(line)
            if match is None:
                raise _Malformed(f"a header line that is not `Name: value`: {_shown(line)}", line)
            name, value = match.group(1), match.group(2).strip(b" \t")
            if name.lower() != b"content-length":
                continue  # Content-Type and unknown headers carry nothing we need
            if length is not None:
                raise _Malformed("two Content-Length headers", line)
            length = _length(value, line)

    def _resync(self, window: bytes) -> bool:
        """Drop input up to the next line ending in a plausible Content-Length header, and keep that header
        for the next block. False when the input ends first."""
        while True:
            if window.endswith(b"\n"):
                start = _header_start(window)
                if start is not None:
                    self._pending = window[start:]
                    return True
                window = b""
            else:
                window = window[-_TAIL:]
            line = self._stream.readline(MAX_HEADER_LINE)
            if not line:
                return False
            window += line


def _length(value: bytes, line: bytes) -> int:
    if not _DIGITS.fullmatch(value):
        raise _Malformed(f"Content-Length {_shown(value)} is not a number of bytes", line)
    digits = value.lstrip(b"0") or b"0"
    # Refused before anything is allocated (or a thousand-digit number parsed); the body that may follow
    # is then skipped like any other junk.
    if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:
        raise _Malformed(
            f"Content-Length {_shown(digits)} is over the {MAX_BODY // (1024 * 1024)} MiB limit", line
        )
    return int(digits)


def _header_start(window: bytes) -> int | None:
    """Where the last plausible Content-Length header in this line-ending window starts, if it ends it."""
    start = window.lower().rfind(_NEEDLE)
    if start < 0 or not _RESYNC.fullmatch(window, start):
        return None
    return start


def _shown(raw: bytes) -> str:
    """Hostile bytes made safe for a log line: escaped, and cut short."""
    text = repr(raw[:60])[2:-1]
    return f"'{text}'" + ("..." if len(raw) > 60 else "")
