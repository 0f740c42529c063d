"""Where a repository really is, checked against the roots before git runs, and nothing of it read that
could block: its working tree, git folder (a `.git` file may point anywhere), common folder, object stores
and alternates (tokenised as git reads them), symlinks inside the git folder, and each listed submodule's
`.git`. Pure filesystem checks, run in a worker thread; each refusal names what pointed outside."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcp_tools.paths import PathRefused

__all__ = ["MAX_CONFIG_SCAN", "Outside", "Where", "checked_location", "read_regular"]

_MAX_ALTERNATE_DEPTH = 5  # git's own limit
MAX_CONFIG_SCAN = 1 << 20


@dataclass(frozen=True)
class Where:
    top: Path
    # The repository's own config files (as git names them), when one of them mentions includes.
    with_includes: tuple[str, ...] = ()


def checked_location(
    roots: Sequence[Path], shown: str, git_dir: str, common_dir: str, top: str, submodules: bool
) -> Where:
    """Refuse a repository any part of which (as git reaches it, symlinks followed) is outside the roots;
    `submodules`: the command compares the working tree, so the submodules' `.git` count too."""
    check = Outside(tuple(str(root) for root in roots), shown)
    real_top = check.path(top, "its working tree")
    dot_git = os.path.join(top, ".git")
    if os.path.isfile(dot_git) and not os.path.islink(dot_git):
        check.path(git_dir, f"the file {dot_git} points git at its git folder, which")
    else:
        check.path(git_dir, "its git folder")
    if common_dir != git_dir:
        check.path(common_dir, f"the commondir of {git_dir} names the repository's common folder, which")
    # Below these folders git finds what it reads by name (objects, refs, config, info/exclude, packs): a
    # symlink among those names is followed, so it must lead inside too. Entry types come with the
    # listing: no system call per entry.
    names = check.links_in(git_dir)
    common = names if common_dir == git_dir else check.links_in(common_dir)
    objects = os.path.join(common_dir, "objects")
    object_info: set[str] = set()
    if "objects" in common:
        check.links_in(objects)
        check.links_in(os.path.join(objects, "pack"))
        object_info = check.links_in(os.path.join(objects, "info"))
    for folder, listed in ((common_dir, common), (git_dir, names)):
        if "info" in listed:
            check.links_in(os.path.join(folder, "info"))
    if "alternates" in object_info:
        check.alternates(objects, 0, set())
    configs = [os.path.join(common_dir, n) for n in ("config", "config.worktree") if n in common]
    if common_dir != git_dir and "config.worktree" in names:
        configs.append(os.path.join(git_dir, "config.worktree"))
    includes = False
    for config in configs:
        text = read_regular(config, MAX_CONFIG_SCAN + 1)
        includes = includes or b"include" in text.lower() or len(text) > MAX_CONFIG_SCAN
    if submodules:
        _check_submodules(check, real_top)
    return Where(Path(real_top), tuple(configs) if includes else ())


# `path = sub/dir` in .gitmodules (git-config syntax: the value may be quoted, a comment may follow).
_SUBMODULE_PATH = re.compile(
    r'^[ \t]*path[ \t]*=[ \t]*("(?:[^"\\\n]|\\.)*"|[^#;\n]*)', re.IGNORECASE | re.MULTILINE
)


def _check_submodules(check: Outside, top: str) -> None:
    """Comparing the working tree reads each checked-out submodule's HEAD through its `.git` file or
    folder: the submodules .gitmodules lists must lead inside the roots too. (A gitlink that .gitmodules
    does not list is not seen here: git reads its HEAD commit id, nothing else.)"""
    listing = os.path.join(top, ".gitmodules")
    if not os.path.isfile(listing) or os.path.islink(listing):
        return  # git itself does not follow a symlinked .gitmodules
    text = read_regular(listing, MAX_CONFIG_SCAN).decode("utf-8", "replace")
    for match in _SUBMODULE_PATH.finditer(text):
        raw = match.group(1).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        dot_git = os.path.join(top, raw, ".git")
        if not os.path.lexists(dot_git):
            continue
        what = f"the submodule {raw}'s .git"
        check.path(dot_git, what)  # first: a symlink leading out is not read
        if os.path.isfile(dot_git):
            first = read_regular(dot_git, 4096).decode("utf-8", "replace").split("\n", 1)[0].strip()
            if first.startswith("gitdir:"):
                named = first.removeprefix("gitdir:").strip()
                check.path(
                    os.path.join(os.path.dirname(dot_git), named), f"{what} file points git at a folder that"
                )


@dataclass
class Outside:
    """Checks of one repository against the roots (real paths), each refusal naming what pointed outside."""

    roots: tuple[str, ...]
    shown: str

    def path(self, path: str, what: str) -> str:
        """The real path of `path`, refused when it is outside the roots."""
        real = os.path.realpath(path)
        if not any(real == root or real.startswith(root.rstrip("/") + "/") for root in self.roots):
            raise PathRefused(
                f"{self.shown}: {what} is {real}, outside the allowed roots; git would read another "
                "repository's files there, so the git tools refuse this repository. Open that repository "
                "as a root if it is meant to be used."
            )
        return real

    def links_in(self, folder: str) -> set[str]:
        """The names in `folder`, each symlink among them checked to lead inside."""
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            return set()
        for entry in entries:
            if entry.is_symlink():
                self.path(entry.path, f"the symlink {entry.path} in its git folder leads to a path that")
        return {entry.name for entry in entries}

    def alternates(self, objects: str, depth: int, seen: set[str]) -> None:
        """Each object store named in `objects/info/alternates`, and theirs in turn, as git reads them."""
        listing = os.path.join(objects, "info", "alternates")
        if depth > _MAX_ALTERNATE_DEPTH or objects in seen or not os.path.lexists(listing):
            return
        seen.add(objects)
        self.path(listing, f"the alternates file {listing}")
        for entry in _alternate_entries(read_regular(listing, None)):
            name = os.fsdecode(entry)
            store = os.path.normpath(name if name.startswith("/") else os.path.join(objects, name))
            self.path(store, f"{listing} names the object store {name!r}, which")
            self.alternates(store, depth + 1, seen)


def read_regular(path: str, limit: int | None) -> bytes:
    """A regular file's bytes (up to `limit`); a FIFO or device planted there is refused without blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PathRefused(f"{path} is not a regular file; git would block or read a device there")
        chunks: list[bytes] = []
        size = 0
        while (limit is None or size < limit) and (chunk := os.read(fd, 1 << 16)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _alternate_entries(text: bytes) -> Iterator[bytes]:
    """The object stores an alternates file names, tokenised exactly as git's `parse_alt_odb_entry`: one
    per line, `#` comments, a C-quoted entry (which may span lines) ends at its closing quote and the byte
    after that quote is skipped, whatever it is."""
    at = 0
    while at < len(text):
        newline = text.find(b"\n", at)
        line_end = len(text) if newline < 0 else newline
        if text[at : at + 1] == b"#":
            entry, end = b"", line_end
        elif text[at : at + 1] == b'"' and (quoted := _unquote_c(text, at)) is not None:
            entry, end = quoted
        else:
            entry, end = text[at:line_end], line_end
        if entry:
            yield entry
        at = end + 1


_C_ESCAPES = {ord(k): v for k, v in zip('abfnrtv\\"', b'\a\b\f\n\r\t\v\\"', strict=True)}


def _unquote_c(text: bytes, at: int) -> tuple[bytes, int] | None:
    """git's `unquote_c_style` from the quote at `at`: the value and the index after the closing quote."""
    out = bytearray()
    i = at + 1
    while i < len(text):
        byte = text[i]
        if byte == ord('"'):
            return bytes(out), i + 1
        if byte != ord("\\"):
            out.append(byte)
            i += 1
            continue
        escape = text[i + 1 : i + 2]
        if escape and escape[0] in _C_ESCAPES:
            out.append(_C_ESCAPES[escape[0]])
            i += 2
        elif (
            escape in (b"0", b"1", b"2", b"3")
            and len(octal := text[i + 1 : i + 4]) == 3
            and all(0x30 <= d <= 0x37 for d in octal)
        ):
            out.append(int(octal, 8))
            i += 4
        else:
            return None
    return None
