"""Child processes for the repo tools: argument lists only, their own process group, killed as a group.

Output is read in bounded memory: up to a limit it is kept whole; past it, head and tail stay in memory and
the whole goes to a spill file the model can page through, up to a hard cap after which the child is stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from mcp_tools.budget import HeadTail, Spill

__all__ = ["MAX_SPILL_BYTES", "Capture", "read_bounded", "reap", "spawn"]

# Past this much output the child is stopped: a spill file is for paging, not for gigabytes.
MAX_SPILL_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 16
_SNIFF = 8000  # how much of the start is checked for NUL bytes, as git does


async def spawn(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> asyncio.subprocess.Process:
    """Start `argv` (never through a shell) as the leader of a new process group, stdin closed."""
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )


async def reap(proc: asyncio.subprocess.Process) -> None:
    """Kill the child's whole group if it still runs (timeout, early stop, cancellation), then wait for it."""
    if proc.returncode is None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    await asyncio.shield(proc.wait())


async def read_bounded(stream: asyncio.StreamReader | None, limit: int) -> bytes:
    """Everything from `stream`, keeping only the first `limit` bytes (the rest is drained, not stored)."""
    if stream is None:
        return b""
    kept = bytearray()
    while chunk := await stream.read(_CHUNK):
        if len(kept) < limit:
            kept += chunk[: limit - len(kept)]
    return bytes(kept)


class Capture:
    """A child's stdout: whole while it fits `limit`, else head and tail plus the whole in a spill file."""

    def __init__(self, limit: int, spill: Spill, label: str) -> None:
        self._limit = limit
        self._spill = spill
        self._label = label
        self._buffer = bytearray()
        self._first = bytearray()
        self._overflow: HeadTail | None = None
        self._file: BinaryIO | None = None
        self.path: Path | None = None
        self.total = 0
        self.capped = False

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        if len(self._first) < _SNIFF:
            self._first += data[: _SNIFF - len(self._first)]
        if self._overflow is None:
            self._buffer += data
            if len(self._buffer) > self._limit:
                self._start_spilling()
        else:
            self._overflow.feed(data)
        if self.total >= MAX_SPILL_BYTES:
            self.capped = True

    def _start_spilling(self) -> None:
        self.path, self._file = self._spill.create(self._label)
        self._overflow = HeadTail(self._limit * 2 // 3, self._limit // 3, sink=self._file)
        self._overflow.feed(bytes(self._buffer))
        self._buffer = bytearray()

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        """Read `stream` to its end, or until the hard cap (the caller then stops the child)."""
        if stream is None:
            return
        try:
            while not self.capped and (chunk := await stream.read(_CHUNK)):
                self.feed(chunk)
        finally:
            if self._file is not None:
                self._file.close()

    @property
    def looks_binary(self) -> bool:
        return b"\0" in self._first

    def text(self) -> str:
        if self._overflow is None:
            return self._buffer.decode("utf-8", errors="replace")
        where = f"{self.path} (read it with read_file and offset/limit)"
        if self.capped:
            where += f"; output stopped at {MAX_SPILL_BYTES // (1024 * 1024)} MiB"
        return self._overflow.text(where)
