"""The one path policy: every path a caller gives is resolved against the roots by real path, or refused.

Refused: NUL bytes, `~`, URL-encoded separators or dots, anything whose real path (every symlink on the
way followed) is outside the roots, sibling prefixes (`/repo-evil` is not inside `/repo`), and writes into
read-only roots or through a symlink planted at the target.

The answer is a real path: no symlink left on it. Tools then open it by walking from the root's
descriptor with `mcp_tools.beneath`, so a folder swapped for a symlink after this check reaches nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlparse

from m2bridge.wording import a_type
from mcp_tools.failure import ToolFailure

__all__ = ["PathPolicy", "PathRefused", "is_within"]

_ENCODED = re.compile(r"%(2e|2f|5c|00|7e)", re.IGNORECASE)
# The usual limits of Linux and macOS file systems: longer paths cannot name a file anyway.
_MAX_PATH = 4096
_MAX_NAME = 255
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class PathRefused(ToolFailure):
    """A path outside what this server may touch."""


def is_within(path: Path, root: Path) -> bool:
    """True when `path` is `root` or below it: compared by components, so `/repo-evil` is not in `/repo`."""
    return path == root or root in path.parents


def _text_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


@dataclass(frozen=True)
class PathPolicy:
    """Roots that bound every tool; the first is where relative paths start."""

    roots: tuple[Path, ...]
    read_only_roots: tuple[Path, ...] = ()

    @classmethod
    def of(cls, roots: Iterable[str | Path], read_only_roots: Iterable[str | Path] = ()) -> PathPolicy:
        real = tuple(dict.fromkeys(_real(Path(r).expanduser().absolute()) for r in roots))
        for root in real:
            if not root.is_dir():
                raise PathRefused(f"root {root} is not a folder")
        extra = tuple(dict.fromkeys(_real(Path(r).absolute()) for r in read_only_roots))
        return cls(real, extra)

    @property
    def primary(self) -> Path:
        if not self.roots:
            raise PathRefused("no root is open: the client's roots do not overlap the server's --root")
        return self.roots[0]

    def narrowed(self, client_roots: Iterable[str]) -> PathPolicy:
        """The client's announced roots intersected with ours: a client can narrow the set, never widen it.

        An empty list is no opinion (a client with no folder open; MCP Inspector by default): ours stay,
        as the reference filesystem server keeps its own. A list that names something, but nothing usable
        inside ours (other folders, non-file URIs), leaves no root, and every path is refused clearly.
        """
        uris = list(client_roots)
        if not uris:
            return self
        kept: list[Path] = []
        for uri in uris:
            try:
                announced = _real(Path(_from_uri(uri)))
            except PathRefused:
                continue
            for root in self.roots:
                if is_within(announced, root):
                    kept.append(announced)
                elif is_within(root, announced):
                    kept.append(root)
        return PathPolicy(tuple(dict.fromkeys(kept)), self.read_only_roots)

    def resolve(self, raw: object, *, write: bool = False) -> Path:
        """The real path for `raw`, checked against the roots; raises PathRefused with the reason."""
        text = _checked_text(raw)
        # Strings, not Path objects, on this path every tool call takes: it is several times cheaper.
        candidate = text if text.startswith("/") else os.path.join(self._root_texts[0], text)
        real = os.path.realpath(candidate)
        allowed = self._root_texts if write else self._root_texts + self._read_only_texts
        if not any(_text_within(real, root) for root in allowed):
            if write and any(_text_within(real, root) for root in self._read_only_texts):
                raise PathRefused(f"{text}: this folder is read-only (spilled output); write inside a root")
            raise PathRefused(f"{text}: outside the allowed roots ({self._root_list()})")
        if write:
            _refuse_git_metadata(text, real, allowed)
        # The lexical form: a symlink at the final component is seen before realpath follows it.
        if write and os.path.islink(os.path.normpath(candidate)):
            raise PathRefused(f"{text}: is a symlink; refusing to write through it (write to {real})")
        return Path(real)

    @cached_property
    def anchors(self) -> tuple[str, ...]:
        """Every root as text, writable and read-only: where descriptor walks start (mcp_tools.beneath)."""
        return tuple(str(r) for r in self.roots + self.read_only_roots)

    @cached_property
    def _root_texts(self) -> tuple[str, ...]:
        return (str(self.primary), *(str(r) for r in self.roots[1:]))

    @cached_property
    def _read_only_texts(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.read_only_roots)

    def relative(self, path: Path) -> str:
        """How a path is shown to the model: relative to its root where it has one."""
        for root in self.roots + self.read_only_roots:
            if is_within(path, root):
                rel = path.relative_to(root).as_posix()
                return rel if root == self.primary else str(path)
        return str(path)

    def _root_list(self) -> str:
        return ", ".join(str(r) for r in self.roots) or "none"


def _refuse_git_metadata(text: str, real: str, roots: tuple[str, ...]) -> None:
    """No tool writes git's own files: a `.git` folder's config and hooks name programs that the user's
    next plain `git status` or `git commit` would run, outside every hardening of ours (and
    `--no-terminal` would mean nothing). Compared without case: macOS file systems ignore it."""
    root = max((r for r in roots if _text_within(real, r)), key=len)
    below = real[len(root) :].split("/")
    if any(part.casefold() == ".git" for part in below):
        raise PathRefused(
            f"{text}: is inside git's own files (.git); tools never write there, since git runs programs "
            "its config and hooks name. Change git settings yourself, with git."
        )


def _checked_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise PathRefused(f"a path must be a string, not {a_type(type(raw))}")
    if raw == "":
        raise PathRefused("the path is empty")
    if "\x00" in raw:
        raise PathRefused("the path contains a NUL byte")
    if len(raw.encode("utf-8", "surrogatepass")) > _MAX_PATH or any(
        len(part.encode("utf-8", "surrogatepass")) > _MAX_NAME for part in raw.split("/")
    ):
        raise PathRefused(f"the path is too long ({len(raw)} characters; a name holds {_MAX_NAME} bytes)")
    if raw.startswith("file:"):
        return _from_uri(raw)
    if _URL.match(raw):
        raise PathRefused(f"{raw}: a URL is not a path; give a path inside the roots")
    if raw.startswith("~"):
        raise PathRefused(f"{raw}: `~` is not expanded; give a path inside the roots")
    if _ENCODED.search(raw):
        raise PathRefused(f"{raw}: looks URL-encoded; give a plain path")
    if "\\" in raw:
        raise PathRefused(f"{raw}: backslashes are not path separators here; use /")
    return raw


def _from_uri(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        raise PathRefused(f"{uri}: only local file:// URIs name files")
    path = unquote(parsed.path)
    if "\x00" in path or not path.startswith("/"):
        raise PathRefused(f"{uri}: not an absolute local path")
    return path
