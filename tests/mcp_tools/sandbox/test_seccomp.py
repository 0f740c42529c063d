"""The seccomp filter on the real kernel: loaded in a child process without bubblewrap, so each refusal is
the filter's own (the attack table proves it inside the sandbox)."""

from __future__ import annotations

import ctypes
import errno
import os
import sys

import pytest

from mcp_tools.sandbox.seccomp import ARCHITECTURES, CLONE_NEWUSER, filter_program, native_architecture

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or native_architecture() is None, reason="a Linux filter"
)

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _errno_under_filter(call: str, *args: int) -> int:
    """Run syscall `call` in a forked child under the filter; the errno it got (0: it succeeded)."""
    arch = native_architecture()
    assert arch is not None
    program = filter_program(arch)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            prog = _SockFprog(len(program) // 8, program)
            libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
                os.write(write_fd, b"load-failed")
                os._exit(1)
            result = libc.syscall(arch.calls[call], *args)
            os.write(write_fd, str(ctypes.get_errno() if result == -1 else 0).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    got = os.read(read_fd, 64).decode()
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert got != "load-failed"
    return int(got)


def test_unshare_of_a_user_namespace_is_refused_but_other_unshares_reach_the_kernel():
    assert _errno_under_filter("unshare", CLONE_NEWUSER) == errno.EPERM
    assert _errno_under_filter("unshare", 0) == 0


def test_clone3_answers_enosys_so_libc_falls_back_to_clone():
    assert _errno_under_filter("clone3", 0, 0) == errno.ENOSYS


@pytest.mark.parametrize("call", ["ptrace", "process_vm_readv", "keyctl", "add_key", "request_key", "mount"])
def test_a_refused_call_gets_eperm(call: str):
    assert _errno_under_filter(call, 0, 0, 0, 0) == errno.EPERM


def test_ioctl_tiocsti_is_refused_and_other_ioctls_pass():
    assert _errno_under_filter("ioctl", 0, 0x5412, 0) == errno.EPERM
    assert _errno_under_filter("ioctl", 0, 0x5401, 0) != errno.EPERM  # TCGETS: ENOTTY or 0, never ours


def test_every_architecture_knows_every_call_the_filter_names():
    for arch in ARCHITECTURES.values():
        assert len(filter_program(arch)) % 8 == 0
