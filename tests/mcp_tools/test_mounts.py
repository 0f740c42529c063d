"""read_file keeps small reads on the event loop only while no mounted file system could make them hang."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_tools import mounts
from mcp_tools.mounts import LOCAL_FILE_SYSTEMS, MountWatch, slow_mounts
from mcp_tools.repo.files import ReadFile
from mcp_tools.tool_context import ToolContext
from tests.support.sandbox import Sandbox

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid - proc proc rw
24 22 0:5 / /dev/shm rw shared:3 - tmpfs tmpfs rw
40 22 0:40 / /mnt/home\\040server rw - nfs4 srv:/home rw,vers=4.2
41 22 0:41 / /run/user/1000/gvfs rw - fuse.gvfsd-fuse gvfsd-fuse rw
42 22 0:42 / /net rw - autofs systemd-1 rw
43 22 0:43 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw
"""


def test_network_fuse_and_automount_file_systems_count_as_ones_that_may_hang() -> None:
    assert slow_mounts(MOUNTINFO) == ["/mnt/home server", "/run/user/1000/gvfs", "/net"]
    assert slow_mounts(MOUNTINFO.splitlines()[0] + "\n") == []


def test_the_watch_reads_this_machines_mount_table() -> None:
    with open("/proc/self/mountinfo") as table:
        expected = slow_mounts(table.read())
    watch = MountWatch()
    try:
        assert watch.slow == expected
        assert watch.may_block() == bool(expected)
    finally:
        watch.close()


def test_without_a_mount_table_every_call_may_block(tmp_path: Path) -> None:
    assert MountWatch(str(tmp_path / "missing")).may_block()


# Runs in its own mount namespace (needs root or user namespaces): what it mounts nobody else sees.
_MOUNT_LATER = """
import subprocess, sys, tempfile
from mcp_tools.mounts import LOCAL_FILE_SYSTEMS, MountWatch
watch = MountWatch(local=LOCAL_FILE_SYSTEMS - {"ramfs"})
before = watch.may_block()
point = tempfile.mkdtemp()
subprocess.run(["mount", "-t", "ramfs", "ramfs", point], check=True)
during = watch.may_block()
subprocess.run(["umount", point], check=True)
print(before, during, watch.may_block())  # after the umount
"""


def test_a_file_system_mounted_after_the_server_started_is_noticed() -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare")
    run = subprocess.run(
        [unshare, "--mount", "--propagation", "private", sys.executable, "-c", _MOUNT_LATER],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    if run.returncode != 0 and "unshare" in run.stderr:
        pytest.skip(f"no private mount namespace here: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    before, during, after = run.stdout.split()
    # ramfs counts as slow here only so that mounting one is a change the watch must notice.
    table = Path("/proc/self/mountinfo").read_text()
    assert before == str(bool(slow_mounts(table, LOCAL_FILE_SYSTEMS - {"ramfs"})))
    assert during == "True"
    assert after == before


_opens: list[int] | None = None


def _record_opens(event: str, args: tuple[object, ...]) -> None:
    if _opens is not None and event == "open" and isinstance(args[0], str) and "m2b-probe" in args[0]:
        _opens.append(threading.get_ident())


sys.addaudithook(_record_opens)


@pytest.fixture
def every_file_system_slow() -> Iterator[None]:
    """The real mount table, read as if none of its file systems were local."""
    saved = mounts._watch
    mounts._watch = MountWatch(local=())
    try:
        yield
    finally:
        mounts._watch.close()
        mounts._watch = saved


async def test_with_a_file_system_that_may_hang_read_file_opens_nothing_on_the_event_loop(
    tool_ctx: ToolContext, sandbox: Sandbox, every_file_system_slow: None
) -> None:
    global _opens
    (sandbox.root / "m2b-probe.txt").write_text("probe\n")
    _opens = []
    try:
        outcome = await ReadFile(tool_ctx).call({"path": "m2b-probe.txt"})
        seen = list(_opens)
    finally:
        _opens = None
    assert not outcome.is_error and "probe" in outcome.content
    assert seen and threading.get_ident() not in seen
