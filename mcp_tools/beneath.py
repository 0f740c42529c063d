"""Files and folders opened beneath a root's descriptor, one name at a time, never through a symlink.

The path policy hands out real paths: every symlink on the way already resolved. Opening such a path by
its text would ask the kernel to walk it again, and a process inside a root that swaps a folder for a
symlink between the check and the open would win. So the walk starts from the root's descriptor (the root
is the user's configuration, trusted) and opens each folder relative to its parent with `O_NOFOLLOW`;
meeting a symlink can only mean the tree changed since the check, and the call is refused, never followed.
Reads, writes, renames, `mkdir`s and listings then happen relative to the descriptors so checked.

Only regular files are opened as files: a FIFO, socket or device is told apart by `lstat` before opening
and by `fstat` on a descriptor opened with `O_NONBLOCK` after, so none can block the caller.

The functions here touch the disk: callers run them in worker threads, except read_file's small reads
while no mounted file system could hang (see `mcp_tools.mounts`). `spawn_in` starts a child process in a
checked folder, its reads confined to the roots where the kernel can (see `mcp_tools.confine`).
"""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import stat
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import cache

from mcp_tools.confine import confined_reads
from mcp_tools.failure import ToolFailure

__all__ = [
    "Changed",
    "Missing",
    "NotRegular",
    "anchor",
    "child_folder",
    "folder_cwd",
    "folder_descriptor",
    "kind_of",
    "lstat_at",
    "open_entry",
    "open_file",
    "open_folder",
    "open_parent",
    "open_regular_at",
    "replace_at",
    "require_regular",
    "spawn_in",
]

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in after the lstat opens at once instead of waiting for a writer.
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_TEMP = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# A temp name must stay a valid name: ".", the name, a random part and a suffix fit in 255 bytes.
_TEMP_NAME_ROOM = 200
_PROC_FD = "/proc/self/fd"


class Changed(ToolFailure):
    """A symlink (or other non-folder) stood where the checked path had a folder: the tree changed."""


class Missing(ToolFailure):
    """A name on the path does not exist."""


class NotRegular(ToolFailure):
    """A FIFO, socket, device or folder where a regular file was wanted."""


def anchor(path: str, roots: Sequence[str]) -> tuple[str, list[str]]:
    """The deepest of `roots` holding the absolute `path`, and the names below it; `/` when none does.

    Walking from `/` is as safe for a real path: no component may be a symlink either way.
    """
    if not path.startswith("/"):
        raise ToolFailure(f"{path}: not an absolute path")
    best = "/"
    for root in roots:
        if len(root) > len(best) and (path == root or path.startswith(root + "/")):
            best = root
    names = [name for name in path[len(best) :].split("/") if name]
    if any(name in (".", "..") for name in names):
        raise ToolFailure(f"{path}: not a plain path (`.` or `..` in it)")
    return best, names


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words for an error message."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _changed(shown: str) -> Changed:
    return Changed(
        f"{shown}: the folder tree changed while it was being opened (a symlink now stands where a folder "
        "was checked); nothing was read or written. Try again."
    )


def require_regular(mode: int, shown: str) -> None:
    """Refuse anything but a regular file, saying what it is."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise NotRegular(f"{shown}: is a folder, not a file (list_dir shows what it holds)")
    if stat.S_ISLNK(mode):
        raise _changed(shown)
    raise NotRegular(f"{shown}: is {kind_of(mode)}; only regular files are read or written")


def _open_child(parent: int, name: str, shown: str, *, create: bool) -> int:
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise Missing(f"{shown}: no such file or folder ({name} is missing)") from None
    except OSError as err:
        if err.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise ToolFailure(f"{shown}: cannot open {name} ({err.strerror})") from None
        raise _explain_not_folder(parent, name, shown) from None
    with suppress(FileExistsError):
        os.mkdir(name, 0o777, dir_fd=parent)
    return _open_child(parent, name, shown, create=False)


def _explain_not_folder(parent: int, name: str, shown: str) -> ToolFailure:
    try:
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
    except OSError:
        return _changed(shown)
    if stat.S_ISLNK(mode) or stat.S_ISDIR(mode):
        return _changed(shown)
    return ToolFailure(f"{shown}: {name} is {kind_of(mode)}, not a folder")


def _walk(root: str, names: Sequence[str], shown: str, *, create: bool) -> int:
    try:
        # The root itself is configuration, already a real path: opened by its text.
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise ToolFailure(f"{root}: cannot open the root ({err.strerror})") from None
    try:
        for name in names:
            child = _open_child(fd, name, shown, create=create)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def folder_descriptor(path: str, roots: Sequence[str], *, create: bool = False) -> int:
    """A descriptor of the folder `path` (the caller closes it), walked from its root; `create` makes
    missing folders on the way."""
    root, names = anchor(path, roots)
    return _walk(root, names, path, create=create)


@contextmanager
def open_folder(path: str, roots: Sequence[str], *, create: bool = False) -> Generator[int]:
    """`folder_descriptor` closed on leaving."""
    fd = folder_descriptor(path, roots, create=create)
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def open_parent(path: str, roots: Sequence[str], *, create: bool = False) -> Generator[tuple[int, str]]:
    """The checked descriptor of the folder holding `path`, and the final name to use relative to it."""
    root, names = anchor(path, roots)
    if not names:
        raise NotRegular(f"{path}: is a folder (a root), not a file")
    fd = _walk(root, names[:-1], path, create=create)
    try:
        yield fd, names[-1]
    finally:
        os.close(fd)


def lstat_at(parent: int, name: str) -> os.stat_result | None:
    """The entry `name` in the folder `parent` itself (a symlink is not followed); None when missing."""
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


def open_regular_at(parent: int, name: str, shown: str) -> tuple[int, os.stat_result]:
    """Open the regular file `name` in `parent` for reading: a descriptor and its `fstat`.

    Anything else is refused without blocking: checked before opening (so a device is never opened), then
    opened `O_NONBLOCK | O_NOFOLLOW` and checked again on the descriptor (a swap in between is caught).
    """
    info = lstat_at(parent, name)
    if info is None:
        raise Missing(f"{shown}: no such file")
    require_regular(info.st_mode, shown)
    try:
        fd = os.open(name, _FILE, dir_fd=parent)
    except FileNotFoundError:
        raise Missing(f"{shown}: no such file") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _changed(shown) from None
        if err.errno == errno.ENXIO:  # a socket (or a device without a driver) swapped in
            raise NotRegular(f"{shown}: is not a regular file; only regular files are read") from None
        raise ToolFailure(f"{shown}: cannot open ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        require_regular(info.st_mode, shown)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def open_file(path: str, roots: Sequence[str]) -> tuple[int, os.stat_result]:
    """Open the regular file at the real path `path` for reading, walked from its root."""
    with open_parent(path, roots) as (parent, name):
        return open_regular_at(parent, name, path)


def open_entry(path: str, roots: Sequence[str]) -> tuple[int, bool]:
    """A descriptor of `path` if it is a folder or a regular file (the caller closes it), and whether it is
    a folder; anything else is refused without blocking."""
    root, names = anchor(path, roots)
    if not names:
        return _walk(root, names, path, create=False), True
    with open_parent(path, roots) as (parent, name):
        info = lstat_at(parent, name)
        if info is None:
            raise Missing(f"{path}: no such file or folder")
        if stat.S_ISDIR(info.st_mode):
            return _open_child(parent, name, path, create=False), True
        return open_regular_at(parent, name, path)[0], False


def child_folder(parent: int, name: str) -> int | None:
    """Open the sub-folder `name` of `parent` for a listing; None when it is no longer a plain folder."""
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except OSError:
        return None


def replace_at(parent: int, name: str, data: bytes, mode: int) -> None:
    """Atomically give `name` in `parent` the content `data`: a temp file beside it, synced, then renamed.

    The rename replaces whatever entry has the name (a symlink planted meanwhile is replaced, not followed),
    and both names are relative to the checked folder descriptor.
    """
    stem = name if len(name.encode("utf-8", "surrogateescape")) <= _TEMP_NAME_ROOM else "m2bridge"
    temp = f".{stem}.{secrets.token_hex(4)}.m2tmp"
    fd = os.open(temp, _TEMP, 0o600, dir_fd=parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), mode)
        os.replace(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp, dir_fd=parent)
        raise


@cache
def _has_proc_fd() -> bool:
    return os.path.isdir(_PROC_FD)


def folder_cwd(fd: int, fallback: str) -> tuple[str, tuple[int, ...]]:
    """A child process's working folder given as the checked descriptor `fd` (`cwd`, `pass_fds`).

    On Linux `/proc/self/fd/N` names the descriptor; the child changes into it after the fork, so it lands
    in the folder that was checked, whatever the path names by then. Elsewhere the path text is the fallback.
    """
    if _has_proc_fd():
        return f"{_PROC_FD}/{fd}", (fd,)
    return fallback, ()


async def spawn_in(
    folder: int | None,
    fallback: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: int = asyncio.subprocess.DEVNULL,
    stderr: int = asyncio.subprocess.PIPE,
    reads_within: Sequence[str] | None = None,
) -> asyncio.subprocess.Process:
    """Start `argv` (never through a shell) in the checked folder `folder` (`fallback` when None), as the
    leader of a new process group; stdout is a pipe. The caller may close `folder` once this returns.
    `reads_within`: the child may read only beneath these folders, where the kernel can enforce it."""
    restrict = None if reads_within is None else confined_reads(reads_within, argv[0])
    if restrict is not None:
        # Confined: between fork and exec the child changes into the checked folder and restricts
        # itself. No pass_fds, so Python need not list /proc/self/fd, which the restriction hides (it
        # would then close every possible descriptor one by one); ours are all close-on-exec (PEP 446).
        def prepare() -> None:
            if folder is not None:
                os.fchdir(folder)
            restrict()

        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=fallback if folder is None else None,
            close_fds=False,
            preexec_fn=prepare,
            env=dict(env),
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
    cwd, fds = (fallback, ()) if folder is None else folder_cwd(folder, fallback)
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        pass_fds=fds,
        env=dict(env),
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )
