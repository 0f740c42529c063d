"""Whether a file system call on this machine could hang: only while a network or FUSE file system is mounted.

Reading a small file from a local file system takes microseconds, less than handing it to a worker thread
(about 100 us on a busy machine, 10-20% of the read_file round trip). A network or FUSE file system can
take forever (a dead server, a FUSE daemon that never answers, one a process in a root mounted to stall
the server), and realpath or a symlink can lead there from any path. So read_file stays on the event
loop only while this mount namespace has no such file system. The mount table is read again whenever
the kernel flags a change (poll on /proc/self/mountinfo, one cheap system call per check). Where there
is no mountinfo (macOS), every call counts as one that may block.
"""

from __future__ import annotations

import atexit
import io
import select
from collections.abc import Iterable

__all__ = ["LOCAL_FILE_SYSTEMS", "MountWatch", "may_block", "slow_mounts"]

# Disk and memory file systems, and the kernel's own: their calls return without waiting on anyone.
# Anything else (nfs, cifs, fuse.*, 9p, ceph, autofs, virtiofs, ...) may wait on a server or daemon.
LOCAL_FILE_SYSTEMS = frozenset(
    {
        *("ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "bcachefs", "jfs", "reiserfs", "nilfs2"),
        *("vfat", "msdos", "exfat", "ntfs", "ntfs3", "hfsplus", "squashfs", "erofs", "iso9660", "udf"),
        *("tmpfs", "ramfs", "overlay", "devtmpfs", "devpts", "proc", "sysfs", "cgroup", "cgroup2"),
        *("mqueue", "hugetlbfs", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs"),
        *("efivarfs", "binfmt_misc", "fusectl", "nsfs", "rpc_pipefs", "selinuxfs", "cpuset"),
    }
)
_MOUNTINFO = "/proc/self/mountinfo"


def slow_mounts(mountinfo: str, local: Iterable[str] = LOCAL_FILE_SYSTEMS) -> list[str]:
    """The mount points in /proc/self/mountinfo text whose file system is not a local one."""
    known = frozenset(local)
    found: list[str] = []
    for line in mountinfo.splitlines():
        # `ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS`
        left, separator, right = line.partition(" - ")
        fields = left.split()
        if not separator or len(fields) < 5:
            continue
        if right.split(" ", 1)[0] not in known:
            found.append(fields[4].replace("\\040", " "))
    return found


class MountWatch:
    """The slow mounts of this process's mount namespace, kept current by polling for changes."""

    def __init__(self, source: str = _MOUNTINFO, local: Iterable[str] = LOCAL_FILE_SYSTEMS) -> None:
        self._local = frozenset(local)
        self._file: io.FileIO | None
        try:
            self._file = open(source, "rb", buffering=0)  # noqa: SIM115 - kept open for polling
        except OSError:
            self._file = None
            self.slow: list[str] = []
            return
        self._poll = select.poll()
        self._poll.register(self._file.fileno(), select.POLLPRI | select.POLLERR)
        self.slow = self._read()

    def _read(self) -> list[str]:
        assert self._file is not None
        self._file.seek(0)
        return slow_mounts(self._file.readall().decode("utf-8", "replace"), self._local)

    def may_block(self) -> bool:
        """True while a slow file system is mounted (or the mount table cannot be read)."""
        if self._file is None:
            return True
        if self._poll.poll(0):  # the kernel reports each change of the mount table once
            self.slow = self._read()
        return bool(self.slow)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


_watch: MountWatch | None = None


def may_block() -> bool:
    """Whether a file system call in this process could hang now (see the module's notes)."""
    global _watch
    if _watch is None:
        _watch = MountWatch()
        atexit.register(_watch.close)  # the table stays open for polling until the process ends
    return _watch.may_block()
