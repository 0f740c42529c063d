"""Output budgets: what reaches a model is bounded; the whole is spilled to a file it can page through.

Spilled output is private to the scope that wrote it: `<home>/spill/<scope>`, one folder per set of real
roots and permissions (`spill_scope`). A server sees only its own folder as a read-only root, so a server
rooted at project A never reads what a server rooted at B (or a writing server at A) spilled. Both levels
are folders of ours, mode 0700, re-checked every time they are opened; a link planted there is replaced by
a fresh folder (its target untouched), a folder of another user is refused. Files are created 0600, never
over an existing file or through a link.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from m2bridge.errors import M2BridgeError

__all__ = [
    "DEFAULT_BUDGET",
    "SPILL_DAYS",
    "HeadTail",
    "Spill",
    "SpillRefused",
    "clip",
    "spill_scope",
]

# About 10k tokens: enough to be useful, small enough that one call cannot flood the context.
DEFAULT_BUDGET = 40_000
# Whole outputs are kept this long: a resumed session can still page through last week's build log.
SPILL_DAYS = 14
# The folder under the data folder that holds one private folder per scope.
SPILL_DIR = "spill"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# A planted link may be planted again while we replace it; a few rounds, then a clear refusal.
_ATTEMPTS = 3


class SpillRefused(M2BridgeError):
    """The spill folder cannot be made private (another user's, or not a folder)."""

    code = "spill"


def spill_scope(roots: Sequence[Path], permissions: Mapping[str, bool]) -> str:
    """The folder name for one scope: the real roots (order ignored) and the permissions a server has.

    Servers of the same scope share it: each could have produced the other's output itself, and a chat
    resumed next week pages through the spills of its earlier turns. Anything narrower or different in
    roots or permissions gets another folder.
    """
    real_roots = sorted(os.path.realpath(r) for r in roots)
    key = json.dumps({"roots": real_roots, "permissions": dict(sorted(permissions.items()))})
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    # A readable prefix for a person looking through the folder; the digest alone tells scopes apart.
    first = Path(real_roots[0]).name if real_roots else ""
    label = re.sub(r"[^A-Za-z0-9_-]", "-", first)[:24].strip("-") or "root"
    return f"{label}-{digest}"


@dataclass(frozen=True)
class Spill:
    """The folder for whole outputs; the path policy exposes it, nothing beside it, as a read-only root."""

    folder: Path

    @classmethod
    def private(cls, home: Path, scope: str) -> Spill:
        """`<home>/spill/<scope>` (see `spill_scope`), both levels made private (0700, ours) now."""
        try:
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
            real_home = Path(os.path.realpath(home))
            home_fd = os.open(real_home, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                base_fd = _private_dir(home_fd, SPILL_DIR, real_home / SPILL_DIR)
                try:
                    os.close(_private_dir(base_fd, scope, real_home / SPILL_DIR / scope))
                finally:
                    os.close(base_fd)
            finally:
                os.close(home_fd)
        except OSError as err:
            # mkdir(exist_ok=True) says "File exists" when the home is a file: name the real trouble.
            reason = "Not a directory" if isinstance(err, FileExistsError) else err.strerror or str(err)
            raise SpillRefused(
                f"Cannot make a private spill folder under {home}: {reason}. "
                "Set M2BRIDGE_HOME to a folder you can write."
            ) from err
        return cls(real_home / SPILL_DIR / scope)

    def _open(self, *, create: bool = True) -> int:
        """The folder, opened after checking it is still a private folder of ours (not a link)."""
        parent = self.folder.parent
        if create:
            parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            return _private_dir(parent_fd, self.folder.name, self.folder, create=create)
        finally:
            os.close(parent_fd)

    def new_path(self, label: str) -> Path:
        """A fresh name in the (checked) folder; `create` makes the file itself."""
        os.close(self._open())
        return self.folder / _new_name(label)

    def prune(self, max_age_days: float = SPILL_DAYS) -> int:
        """Remove this scope's whole outputs older than `max_age_days` (else they pile up); how many went."""
        try:
            fd = self._open(create=False)
        except FileNotFoundError:
            return 0
        try:
            return _prune_files(fd, time.time() - max_age_days * 86400)
        finally:
            os.close(fd)

    def prune_abandoned(self, max_age_days: float = SPILL_DAYS) -> int:
        """Expired output of scopes nobody has written for `max_age_days` (their own servers prune the
        others), their folders once empty, and expired files of the old shared layout: a scope no server
        runs any more leaves nothing behind. Deletes only what has expired by the rule each scope applies
        to itself, reads nothing, and looks inside idle folders only, so start-up stays quick."""
        cutoff = time.time() - max_age_days * 86400
        try:
            base_fd = os.open(self.folder.parent, _DIR_FLAGS)
        except OSError:
            return 0
        removed = 0
        try:
            with os.scandir(base_fd) as entries:
                others = [e for e in entries if e.name != self.folder.name]
            for entry in others:
                try:
                    removed += _prune_sibling(base_fd, entry, cutoff)
                except OSError:
                    continue  # gone already, or its server is busy with it: next time
        finally:
            os.close(base_fd)
        return removed

    def create(self, label: str, buffering: int = -1) -> tuple[Path, BinaryIO]:
        """A new spill file, open for writing: private (0600), never an existing file or a symlink."""
        folder_fd = self._open()
        try:
            name = _new_name(label)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, 0o600, dir_fd=folder_fd)
        finally:
            os.close(folder_fd)
        return self.folder / name, os.fdopen(fd, "wb", buffering=buffering)

    def write(self, label: str, text: str) -> Path:
        path, out = self.create(label)
        with out:
            out.write(text.encode("utf-8", errors="replace"))
        return path


def _new_name(label: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40] or "output"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}-{secrets.token_hex(4)}.txt"


def _private_dir(parent_fd: int, name: str, shown: Path, *, create: bool = True) -> int:
    """Open folder `name` under `parent_fd` without following a link, made private: 0700 and ours."""
    for _ in range(_ATTEMPTS):
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o700, dir_fd=parent_fd)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError as err:
            if err.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            if not stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode):
                raise SpillRefused(
                    f"{shown} is not a folder: remove it, so spilled output gets a private folder there."
                ) from None
            # A planted link: it goes, its target is never touched, and a real folder takes its place.
            os.unlink(name, dir_fd=parent_fd)
            continue
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            os.close(fd)
            raise SpillRefused(
                f"{shown} belongs to another user (uid {info.st_uid}): remove it, or set M2BRIDGE_HOME "
                "to a folder of your own."
            )
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.fchmod(fd, 0o700)
        return fd
    raise SpillRefused(f"{shown} keeps turning into a link: something is planting it; stop that process.")


def _prune_files(folder_fd: int, cutoff: float) -> int:
    removed = 0
    with os.scandir(folder_fd) as entries:
        names = [e.name for e in entries if e.is_file(follow_symlinks=False)]
    for name in names:
        try:
            if os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mtime < cutoff:
                os.unlink(name, dir_fd=folder_fd)
                removed += 1
        except OSError:
            continue  # another server may have removed it first
    return removed


def _prune_sibling(base_fd: int, entry: os.DirEntry[str], cutoff: float) -> int:
    info = entry.stat(follow_symlinks=False)
    if stat.S_ISREG(info.st_mode):
        # The old layout kept every server's output loose in one folder: expired, it goes.
        if info.st_mtime < cutoff:
            os.unlink(entry.name, dir_fd=base_fd)
            return 1
        return 0
    # A folder's time changes when a file is added or removed there: an older one has no live writer
    # but perhaps a process still appending to a file, whose own time keeps that file.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mtime >= cutoff:
        return 0
    fd = os.open(entry.name, _DIR_FLAGS, dir_fd=base_fd)
    try:
        removed = _prune_files(fd, cutoff)
    finally:
        os.close(fd)
    try:
        os.rmdir(entry.name, dir_fd=base_fd)
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    return removed


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
