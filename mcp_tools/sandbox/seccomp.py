"""The seccomp filter every bubblewrap sandbox gets: what the namespaces alone do not stop.

A classic BPF program (the format `bwrap --seccomp FD` reads), generated here for x86_64 and aarch64:
- new user namespaces (clone or unshare with CLONE_NEWUSER): a way to regain capabilities inside;
  clone3 answers ENOSYS, so libc falls back to clone, whose flags a classic filter can read;
- ptrace, process_vm_readv/writev: reading or steering another process;
- keyctl, add_key, request_key: the kernel keyrings, shared with the user's session;
- ioctl TIOCSTI and TIOCLINUX: typing into the terminal the command shares;
- the mount family and setns: the sandbox's own mounts stay as bubblewrap left them.
Everything else is allowed; a call from another architecture (32-bit x86 on x86_64, x32) kills the process.
"""

from __future__ import annotations

import errno
import platform
import struct
from dataclasses import dataclass

__all__ = ["ARCHITECTURES", "Architecture", "filter_program", "native_architecture"]

# struct seccomp_data: nr (u32), arch (u32), instruction_pointer (u64), args[6] (u64 each, little-endian).
_NR, _ARCH = 0, 4


def _arg_low(index: int) -> int:
    return 16 + 8 * index


_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K

_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000

CLONE_NEWUSER = 0x10000000
TIOCSTI = 0x5412
TIOCLINUX = 0x541C


@dataclass(frozen=True)
class Architecture:
    audit: int  # AUDIT_ARCH_* the kernel puts in seccomp_data.arch
    calls: dict[str, int]
    x32_bit: int | None = None  # syscall numbers at or above this are another ABI (x32 on x86_64)


# Calls added since Linux 5.x have one number on every architecture (the unified syscall table).
_UNIFIED = {
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "clone3": 435,
    "mount_setattr": 442,
}

ARCHITECTURES = {
    "x86_64": Architecture(
        audit=0xC000003E,
        x32_bit=0x40000000,
        calls={
            "ioctl": 16,
            "clone": 56,
            "ptrace": 101,
            "pivot_root": 155,
            "mount": 165,
            "umount2": 166,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "unshare": 272,
            "setns": 308,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            **_UNIFIED,
        },
    ),
    "aarch64": Architecture(
        audit=0xC00000B7,
        calls={
            "ioctl": 29,
            "umount2": 39,
            "mount": 40,
            "pivot_root": 41,
            "unshare": 97,
            "ptrace": 117,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "clone": 220,
            "setns": 268,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            **_UNIFIED,
        },
    ),
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

_REFUSED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "keyctl", "add_key", "request_key", "mount",
    "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "setns",
)  # fmt: skip


def native_architecture() -> Architecture | None:
    """The running machine's, or None where no filter is known (the sandbox then has none)."""
    machine = platform.machine().lower()
    return ARCHITECTURES.get(_ALIASES.get(machine, machine))


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def filter_program(arch: Architecture) -> bytes:
    """The filter as `struct sock_filter[]` bytes."""
    eperm, enosys = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    ops = [_op(_LD_ABS, _ARCH), _op(_JEQ, arch.audit, jt=1), _op(_RET, _KILL_PROCESS), _op(_LD_ABS, _NR)]
    if arch.x32_bit is not None:
        ops += [_op(_JGE, arch.x32_bit, jf=1), _op(_RET, _KILL_PROCESS)]
    for name in _REFUSED:
        ops += [_op(_JEQ, arch.calls[name], jf=1), _op(_RET, eperm)]
    ops += [_op(_JEQ, arch.calls["clone3"], jf=1), _op(_RET, enosys)]
    # clone(flags, ...) and unshare(flags): refuse CLONE_NEWUSER. The argument is loaded, so each
    # block ends in a return.
    for name in ("clone", "unshare"):
        ops += [
            _op(_JEQ, arch.calls[name], jf=4),
            _op(_LD_ABS, _arg_low(0)),
            _op(_JSET, CLONE_NEWUSER, jf=1),
            _op(_RET, eperm),
            _op(_RET, _ALLOW),
        ]
    # ioctl(fd, request): the kernel reads request as 32 bits, so the low word is the whole of it.
    ops += [
        _op(_JEQ, arch.calls["ioctl"], jf=5),
        _op(_LD_ABS, _arg_low(1)),
        _op(_JEQ, TIOCSTI, jt=2),
        _op(_JEQ, TIOCLINUX, jt=1),
        _op(_RET, _ALLOW),
        _op(_RET, eperm),
    ]
    ops.append(_op(_RET, _ALLOW))
    return b"".join(ops)
