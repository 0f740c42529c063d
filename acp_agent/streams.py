"""stdio for JSON-RPC only: the protocol gets a private copy of stdout, and file descriptor 1 itself is
pointed at stderr, so nothing else (a stray print, a library's console, a child process that inherits
fd 1) can put a byte between two messages."""

from __future__ import annotations

import asyncio
import os
import sys

__all__ = ["protocol_streams"]

# Large enough for a prompt with embedded files (the SDK's own default is 50 MB).
_LIMIT = 50 * 1024 * 1024


async def protocol_streams() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """(reader on stdin, writer on the real stdout); afterwards fd 1 and sys.stdout lead to stderr."""
    loop = asyncio.get_running_loop()
    sys.stdout.flush()
    wire = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reader = asyncio.StreamReader(limit=_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # A StreamReaderProtocol gives the writer its flow control (drain); its own reader stays unused.
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), wire
    )
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)
