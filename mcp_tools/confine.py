"""Confine what a child process may read to the roots, with Landlock (Linux 5.13 and later).

ripgrep walks folders by path: a process in a root that swaps a folder for a symlink to outside between
ripgrep's listing of the folder and its opening of it would have ripgrep search outside. The search tools
start ripgrep in a checked folder descriptor, but only the kernel can hold a child's own walk inside the
roots. A Landlock ruleset allowing reads only beneath the roots (plus what running the program needs: its
binary, the system's shared libraries, and the ignore files ripgrep honours above the roots) is built
once per set of roots in the server; the child applies it to itself just before it runs the program.
Where the kernel has no Landlock (or on macOS) children run unconfined, as before.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

__all__ = ["confined_reads"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1
_EXECUTE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 2, 1 << 3
_FILE_RIGHTS = _EXECUTE | _READ_FILE  # the rights a rule on a single file may carry
# What a dynamically linked program needs to start: its loader and libraries, wherever the system keeps them.
_SYSTEM = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/local/lib", "/nix/store")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload")
_KERNEL = ("/proc", "/sys/fs/cgroup")
_IGNORE_FILES = (".gitignore", ".ignore", ".rgignore")


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


_LIBC = _libc()


def _add(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # absent here: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, 0)
    finally:
        os.close(fd)


def _ignore_files_above(roots: Sequence[str]) -> list[str]:
    """The ignore files ripgrep reads above the roots: each ancestor's, and git's global excludes."""
    found: list[str] = []
    for root in roots:
        for folder in Path(root).parents:
            found += [str(folder / name) for name in _IGNORE_FILES]
    home = os.environ.get("HOME", "")
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    if home:
        found += [os.path.join(home, ".gitconfig"), os.path.join(config, "git", "config")]
        found.append(os.path.join(config, "git", "ignore"))
    return [path for path in found if os.path.isfile(path)]


@cache
def _ruleset(roots: tuple[str, ...], program: str) -> int | None:
    libc = _LIBC
    if libc is None:
        return None
    attr = ctypes.create_string_buffer(struct.pack("=Q", _EXECUTE | _READ_FILE | _READ_DIR), 8)
    ruleset = libc.syscall(_CREATE_RULESET, attr, 8, 0)
    if ruleset < 0:
        return None  # no Landlock in this kernel, or it is switched off
    for root in roots:
        _add(libc, ruleset, root, _READ_FILE | _READ_DIR)
    for path in (*_SYSTEM, *_SYSTEM_FILES):
        _add(libc, ruleset, path, _READ_FILE | _EXECUTE)
    _add(libc, ruleset, program, _READ_FILE | _EXECUTE)
    # Files by name only, no listing: what ripgrep asks of the kernel at start (its memory map, its
    # cgroup's CPU limit). Without READ_DIR a walk led into /proc or /sys finds no names to open.
    for path in _KERNEL:
        _add(libc, ruleset, path, _READ_FILE)
    for path in _ignore_files_above(roots):
        _add(libc, ruleset, path, _READ_FILE)
    return int(ruleset)


def confined_reads(roots: Sequence[str], program: str) -> Callable[[], None] | None:
    """What the child that runs `program` calls between fork and exec so that it reads nothing outside
    `roots` (the ruleset's descriptor is still open there, and closes at exec); None without Landlock."""
    libc = _LIBC
    ruleset = _ruleset(tuple(roots), os.path.realpath(program))
    if libc is None or ruleset is None:
        return None

    def restrict() -> None:
        # In the child, between fork and exec: two system calls, nothing that could wait on a lock.
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "could not confine the child's reads to the roots")

    return restrict
