"""Descriptor walks beneath a root: a symlink met on the way means the tree changed, and is never followed.

These set up the state a swapping process would leave at the worst moment (the path was checked while `d`
was a folder; now `d` is a symlink to outside) and check that nothing outside is read, written, made or
entered. test_race_swapped_folder.py races a real swapping process through the MCP tools.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import anyio
import pytest

from mcp_tools.beneath import (
    Changed,
    Missing,
    NotRegular,
    anchor,
    folder_descriptor,
    open_entry,
    open_file,
    open_folder,
    open_parent,
    replace_at,
    spawn_in,
)
from mcp_tools.disk import DiskWorkspace
from mcp_tools.failure import ToolFailure
from tests.support.sandbox import SECRET, Sandbox


def swap_in_link(sandbox: Sandbox) -> Path:
    """`d` was a folder when its path was checked; now it is a symlink to the outside folder."""
    (sandbox.outside / "deeper").mkdir()
    os.symlink(sandbox.outside, sandbox.root / "d")
    return sandbox.root / "d"


def test_anchor_starts_from_the_deepest_root_holding_the_path_else_from_slash() -> None:
    roots = ("/srv/repo", "/srv/repo/vendor", "/srv/other")
    assert anchor("/srv/repo/vendor/lib/a.py", roots) == ("/srv/repo/vendor", ["lib", "a.py"])
    assert anchor("/srv/repo", roots) == ("/srv/repo", [])
    assert anchor("/srv/repo-evil/a.py", roots) == ("/", ["srv", "repo-evil", "a.py"])
    with pytest.raises(ToolFailure, match="not a plain path"):
        anchor("/srv/repo/../etc/passwd", roots)
    with pytest.raises(ToolFailure, match="not an absolute path"):
        anchor("repo/a.py", roots)


@pytest.mark.parametrize("below", ["secret.txt", "deeper/new.txt"])
def test_a_symlink_where_a_checked_folder_was_is_refused_not_followed(sandbox: Sandbox, below: str) -> None:
    d = swap_in_link(sandbox)
    roots = (str(sandbox.root),)
    with pytest.raises(Changed, match=r"tree changed while it was being opened .*nothing was read"):
        open_file(str(d / below), roots)
    with pytest.raises(Changed):
        open_entry(str(d / below), roots)
    with pytest.raises(Changed), open_parent(str(d / below), roots, create=True):
        pass
    with pytest.raises(Changed):
        folder_descriptor(str(d / "deeper"), roots, create=True)
    # Walking from `/` (a path outside every root, such as the spill folder) refuses it the same way.
    with pytest.raises(Changed):
        open_file(str(d / below), ())
    assert sorted(p.name for p in sandbox.outside.iterdir()) == ["deeper", "secret.txt"]
    assert list((sandbox.outside / "deeper").iterdir()) == []


def test_a_symlink_swapped_in_for_the_file_itself_is_refused(sandbox: Sandbox) -> None:
    os.symlink(sandbox.outside / "secret.txt", sandbox.root / "swapped.txt")
    with pytest.raises(Changed):
        open_file(str(sandbox.root / "swapped.txt"), (str(sandbox.root),))


def test_missing_folders_are_made_one_by_one_beneath_the_root(sandbox: Sandbox) -> None:
    with open_folder(str(sandbox.root / "a" / "b" / "c"), (str(sandbox.root),), create=True) as fd:
        assert os.path.samestat(os.fstat(fd), (sandbox.root / "a" / "b" / "c").stat())
    with pytest.raises(Missing, match="no such file or folder"):
        open_file(str(sandbox.root / "nope" / "x.txt"), (str(sandbox.root),))


def test_a_file_where_a_folder_is_wanted_is_named(sandbox: Sandbox) -> None:
    with pytest.raises(ToolFailure, match=r"hello\.py is a file, not a folder"):
        folder_descriptor(str(sandbox.root / "hello.py" / "x"), (str(sandbox.root),))


def test_a_fifo_is_refused_without_opening_it_and_a_folder_is_not_a_file(sandbox: Sandbox) -> None:
    os.mkfifo(sandbox.root / "pipe")
    # No writer exists: a blocking open of this FIFO would never return.
    with pytest.raises(NotRegular, match=r"is a FIFO \(named pipe\); only regular files"):
        open_file(str(sandbox.root / "pipe"), (str(sandbox.root),))
    with pytest.raises(NotRegular, match="is a folder, not a file"):
        open_file(str(sandbox.root / "sub"), (str(sandbox.root),))


def test_replace_keeps_the_mode_leaves_no_temp_and_replaces_a_planted_symlink(sandbox: Sandbox) -> None:
    os.symlink(sandbox.outside / "secret.txt", sandbox.root / "planted")
    with open_folder(str(sandbox.root), (str(sandbox.root),)) as fd:
        replace_at(fd, "planted", b"new\n", 0o640)
    planted = sandbox.root / "planted"
    assert not planted.is_symlink() and planted.read_bytes() == b"new\n"
    assert stat.S_IMODE(planted.stat().st_mode) == 0o640
    assert (sandbox.outside / "secret.txt").read_text() == SECRET
    assert not [p for p in sandbox.root.iterdir() if p.name.endswith(".m2tmp")]


async def test_a_process_started_in_a_checked_folder_stays_there_after_a_swap(sandbox: Sandbox) -> None:
    d = sandbox.root / "d"
    d.mkdir()
    fd = folder_descriptor(str(d), (str(sandbox.root),))
    try:
        # The swap after the check: the folder moves aside and its name now leads outside.
        d.rename(sandbox.root / "d-moved")
        os.symlink(sandbox.outside, d)
        proc = await spawn_in(fd, str(d), ["pwd", "-P"], {"PATH": os.environ["PATH"]})
        out, _ = await proc.communicate()
    finally:
        os.close(fd)
    assert out.decode().strip() == str(sandbox.root / "d-moved")


async def test_the_disk_workspace_writes_into_a_fifo_never_and_answers_at_once(sandbox: Sandbox) -> None:
    os.mkfifo(sandbox.root / "pipe")
    disk = DiskWorkspace((str(sandbox.root),))
    with anyio.fail_after(5):
        with pytest.raises(NotRegular, match="FIFO"):
            await disk.write_text(str(sandbox.root / "pipe"), "pwned")
        with pytest.raises(NotRegular, match="FIFO"):
            await disk.read_text(str(sandbox.root / "pipe"))
    assert stat.S_ISFIFO((sandbox.root / "pipe").lstat().st_mode)


async def test_the_disk_workspace_lists_a_folder_by_descriptor(sandbox: Sandbox) -> None:
    disk = DiskWorkspace((str(sandbox.root),))
    assert await disk.list_dir(str(sandbox.root / "sub")) == ["notes.md"]
    swap_in_link(sandbox)
    with pytest.raises(Changed):
        await disk.list_dir(str(sandbox.root / "d"))
