"""Output budgets: what reaches a model is bounded; the whole is spilled to a file it can page through."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["DEFAULT_BUDGET", "SPILL_DAYS", "HeadTail", "Spill", "clip"]

# About 10k tokens: enough to be useful, small enough that one call cannot flood the context.
DEFAULT_BUDGET = 40_000
# Whole outputs are kept this long: a resumed session can still page through last week's build log.
SPILL_DAYS = 14


@dataclass(frozen=True)
class Spill:
    """The folder for whole outputs; the path policy exposes it as a read-only root."""

    folder: Path

    def new_path(self, label: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40] or "output"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.folder / f"{stamp}-{safe}-{secrets.token_hex(4)}.txt"

    def prune(self, max_age_days: float = SPILL_DAYS) -> int:
        """Remove whole outputs older than `max_age_days` (else they pile up forever); how many went."""
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if (
                    entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff
                ):
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue  # another server may have removed it first
        return removed

    def create(self, label: str, buffering: int = -1) -> tuple[Path, BinaryIO]:
        """A new spill file, open for writing: private (0600), never an existing file or a symlink."""
        path = self.new_path(label)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        return path, os.fdopen(fd, "wb", buffering=buffering)

    def write(self, label: str, text: str) -> Path:
        path, out = self.create(label)
        with out:
            out.write(text.encode("utf-8", errors="replace"))
        return path


def clip(text: str, budget: int, spill: Spill | None, label: str) -> str:
    """`text` if it fits, else its head and tail with a note saying where the whole is."""
    if len(text) <= budget:
        return text
    head = text[: budget * 2 // 3]
    tail = text[-(budget // 3) :]
    omitted = len(text) - len(head) - len(tail)
    where = ""
    if spill is not None:
        path = spill.write(label, text)
        where = f"; the whole output is in {path} (read it with read_file and offset/limit)"
    return f"{head}\n\n[... {omitted} characters omitted{where} ...]\n\n{tail}"


class HeadTail:
    """A byte stream in bounded memory: the first `head` bytes, the last `tail`, the rest counted.

    Every byte also goes to `sink` (the spill file) when one is given, so nothing is lost.
    """

    def __init__(self, head: int, tail: int, sink: BinaryIO | None = None) -> None:
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0
        self._sink = sink

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        if self._sink is not None:
            self._sink.write(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self._head) + len(self._tail)

    def text(self, where: str = "") -> str:
        head = self._head.decode("utf-8", errors="replace")
        tail = self._tail.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + tail
        omitted = self.total - len(self._head) - len(self._tail)
        note = f"; the whole output is in {where}" if where else ""
        return f"{head}\n\n[... {omitted} bytes omitted{note} ...]\n\n{tail}"
