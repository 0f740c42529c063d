"""The attack table: each row is something a steered model could try with run_command (start_process for
the terminal), run through the real tool in the real sandbox, under `workspace-write` and `read-only`.

A row passes when the attack fails in the way the policy says (or, for what the policy allows, works).
The world (`world.py`) lives outside /tmp, so that an attack which got through would be seen.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from mcp_tools.sandbox import SandboxMode, sandbox_support
from mcp_tools.sandbox.seccomp import native_architecture
from mcp_tools.terminal import ProcessRegistry, RunCommand, StartProcess
from tests.mcp_tools.sandbox.world import API_KEY, World, context
from tests.mcp_tools.terminal.procs import still_running

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and sandbox_support().available), reason="needs bubblewrap"
)

PYTHON = shlex.quote(sys.executable)
WRITE = SandboxMode.WORKSPACE_WRITE
READ = SandboxMode.READ_ONLY
MODES = [WRITE, READ]


def _py(code: str) -> str:
    return f"{PYTHON} -c {shlex.quote(code)}"


def _syscall(name: str) -> int:
    arch = native_architecture()
    assert arch is not None
    return arch.calls[name]


@dataclass(frozen=True)
class Attack:
    name: str
    command: Callable[[World], str]
    # Asserts the outcome (the tool's whole answer) is what the policy says, for the mode it ran in.
    check: Callable[[str, World, SandboxMode], None]
    network: bool = False  # the per-call `network: true`


def _refused_write(out: str, target: Path) -> None:
    assert not target.exists(), out
    assert "Read-only file system" in out, out


def _write_outside(out: str, w: World, mode: SandboxMode) -> None:
    _refused_write(out, w.outside / "pwned")
    assert "[sandbox " in out and "a write was refused" in out, out  # the denial note


def _write_inside(out: str, w: World, mode: SandboxMode) -> None:
    if mode is WRITE:
        assert (w.repo / "made").read_text() == "ok\n", out
    else:
        _refused_write(out, w.repo / "made")


def _private_tmp(out: str, w: World, mode: SandboxMode) -> None:
    assert "written-in-tmp" in out, out  # it could write and read it back
    assert not (Path("/tmp") / w.marker).exists()


def _not_in(*secrets: str) -> Callable[[str, World, SandboxMode], None]:
    def check(out: str, w: World, mode: SandboxMode) -> None:
        for secret in secrets:
            assert secret not in out, out
        assert not out.startswith("exit code 0"), out

    return check


def _loopback_refused(out: str, w: World, mode: SandboxMode) -> None:
    assert w.tcp.greeting not in out and w.tcp.connections == [], out


def _loopback_reached(out: str, w: World, mode: SandboxMode) -> None:
    assert w.tcp.greeting in out, out


def _udp_refused(out: str, w: World, mode: SandboxMode) -> None:
    time.sleep(0.2)  # a datagram that got out would have arrived by now
    assert w.udp_received == [], out


def _victim_alive(out: str, w: World, mode: SandboxMode) -> None:
    with open(f"/proc/{w.victim}/stat") as stat_file:
        assert stat_file.read().split(")")[-1].split()[0] not in ("Z", "X", "T", "t"), out


def _failed_with(*words: str) -> Callable[[str, World, SandboxMode], None]:
    def check(out: str, w: World, mode: SandboxMode) -> None:
        assert any(word in out for word in words), out

    return check


def _nothing_left(out: str, w: World, mode: SandboxMode) -> None:
    assert "up" in out, out
    assert still_running(w.token) == [], out


def _tmp_full(out: str, w: World, mode: SandboxMode) -> None:
    assert "No space left on device" in out, out
    assert not (Path("/tmp") / w.marker).exists()


def _host_unchanged(where: str) -> Callable[[str, World, SandboxMode], None]:
    def check(out: str, w: World, mode: SandboxMode) -> None:
        assert not (Path(where) / w.marker).exists(), out

    return check


def _no_hard_link(out: str, w: World, mode: SandboxMode) -> None:
    assert not (w.repo / "hard").exists(), out
    assert "Invalid cross-device link" in out or "Read-only file system" in out, out


def _victim_file_unchanged(out: str, w: World, mode: SandboxMode) -> None:
    victim = w.outside / "victim.txt"
    assert stat.S_IMODE(victim.stat().st_mode) != 0o777 and victim.stat().st_uid == 0, out
    assert victim.read_text() == "original\n", out


def _no_key(out: str, w: World, mode: SandboxMode) -> None:
    assert "PATH=" in out and API_KEY not in out and "MINIMAX_API_KEY" not in out, out


_PTRACE_ATTACH = 16
_KEYCTL_GET_KEYRING_ID, _KEY_SPEC_SESSION_KEYRING = 0, -3
_CLONE_NEWUSER = 0x10000000

ATTACKS = [
    Attack("write outside the roots", lambda w: f"echo pwned > {w.outside}/pwned", _write_outside),
    Attack("write inside the root", lambda w: f"echo ok > {w.repo}/made", _write_inside),
    Attack(
        "write into m2bridge's home", lambda w: f"echo x >> {w.m2home}/sessions.db", _not_in("sessions-db")
    ),
    Attack(
        "write to /tmp stays private",
        lambda w: f"echo written-in-tmp > /tmp/{w.marker} && cat /tmp/{w.marker}",
        _private_tmp,
    ),
    Attack(
        "read the sessions database", lambda w: f"cat {w.m2home}/sessions.db", _not_in("sessions-db-secret")
    ),
    Attack("read the HTTP token", lambda w: f"cat {w.m2home}/http-token", _not_in("http-token-secret")),
    Attack("read ~/.ssh/id_rsa", lambda w: "cat ~/.ssh/id_rsa", _not_in("ssh-secret-material")),
    Attack("list ~/.ssh", lambda w: "ls ~/.ssh | grep id_rsa", _not_in("id_rsa\n")),
    Attack("read the user config's key", lambda w: "cat ~/.config/m2bridge/config.toml", _not_in(API_KEY)),
    Attack("read ~/.netrc", lambda w: "cat ~/.netrc; grep -q secret ~/.netrc", _not_in("netrc-secret")),
    Attack(
        "reach a loopback server",
        lambda w: _py(
            f"import socket; print(socket.create_connection(('127.0.0.1', {w.tcp.port})).recv(99))"
        ),
        _loopback_refused,
    ),
    Attack(
        "reach a loopback server with network: true",
        lambda w: _py(
            f"import socket; print(socket.create_connection(('127.0.0.1', {w.tcp.port})).recv(99))"
        ),
        _loopback_reached,
        network=True,
    ),
    Attack(
        "send a DNS query to a resolver",
        lambda w: (
            _py(
                "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                f"s.sendto(b'query', ('127.0.0.1', {w.udp_port})); print('sent')"
            )
            + "; getent hosts example.com"
        ),
        _udp_refused,
    ),
    Attack("signal the server", lambda w: f"kill -TERM {w.victim}", _victim_alive),
    Attack(
        "ptrace the server",
        lambda w: _py(
            "import ctypes; "
            f"r = ctypes.CDLL(None, use_errno=True).ptrace({_PTRACE_ATTACH}, {w.victim}, 0, 0); "
            "print('ptrace', r, ctypes.get_errno()); raise SystemExit(r != 0)"
        ),
        _victim_alive,
    ),
    Attack(
        "ptrace a process inside the sandbox",
        lambda w: (
            "sleep 30 & "
            + _py(
                f"import ctypes, os; r = ctypes.CDLL(None, use_errno=True).ptrace({_PTRACE_ATTACH}, "
                "int(os.environ['VICTIM']), 0, 0); print('ptrace', r, os.strerror(ctypes.get_errno())); "
                "raise SystemExit(r != 0)"
            ).replace(f"{PYTHON} -c", f"VICTIM=$! {PYTHON} -c", 1)
        ),
        _failed_with("Operation not permitted"),
    ),
    Attack("read the server's environment", lambda w: f"cat /proc/{os.getpid()}/environ", _not_in("PATH=")),
    Attack(
        "see the server in ps",
        lambda w: "ps -e -o pid=,args= | grep -v grep | grep 'sleep 313'",
        _not_in("313"),
    ),
    Attack("create a user namespace", lambda w: "unshare -U true", _not_in()),
    Attack(
        "create a user namespace by the syscall",
        lambda w: _py(
            f"import ctypes, os; r = ctypes.CDLL(None, use_errno=True).unshare({_CLONE_NEWUSER}); "
            "print('unshare', r, os.strerror(ctypes.get_errno())); raise SystemExit(r != 0)"
        ),
        _failed_with("Operation not permitted"),
    ),
    Attack(
        "write through a symlink planted in the root",
        lambda w: f"ln -s {w.outside} {w.repo}/out && echo pwned > {w.repo}/out/escaped",
        lambda out, w, mode: _refused_write(out, w.outside / "escaped"),
    ),
    Attack(
        "leave a setsid'ed child behind",
        lambda w: "setsid sh -c 'sleep 300' </dev/null >/dev/null 2>&1 & echo up",
        _nothing_left,
    ),
    Attack("fill the private /tmp", lambda w: f"head -c 400M /dev/zero > /tmp/{w.marker}", _tmp_full),
    Attack(
        "use the kernel keyrings",
        lambda w: _py(
            f"import ctypes, os; r = ctypes.CDLL(None, use_errno=True).syscall({_syscall('keyctl')}, "
            f"{_KEYCTL_GET_KEYRING_ID}, {_KEY_SPEC_SESSION_KEYRING}, 0); "
            "print('keyctl', r, os.strerror(ctypes.get_errno())); raise SystemExit(r < 0)"
        ),
        _failed_with("Operation not permitted"),
    ),
    Attack(
        "write to /dev/shm", lambda w: f"echo x > /dev/shm/{w.marker}; false", _host_unchanged("/dev/shm")
    ),
    Attack("write to /var/tmp", lambda w: f"echo x > /var/tmp/{w.marker}", _host_unchanged("/var/tmp")),
    Attack(
        "hard link a file outside into the root",
        lambda w: f"ln {w.outside}/victim.txt {w.repo}/hard",
        _no_hard_link,
    ),
    Attack(
        "chmod and chown a file outside",
        lambda w: (
            f"chmod 777 {w.outside}/victim.txt; chown 1234 {w.outside}/victim.txt; "
            f"echo pwned > {w.outside}/victim.txt"
        ),
        _victim_file_unchanged,
    ),
    Attack(
        "mount over the root",
        lambda w: f"mount -t tmpfs none {w.repo}",
        _failed_with("ermission denied", "not permitted"),
    ),
    Attack("find an API key in the environment", lambda w: "env", _no_key),
]


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
async def test_the_sandbox_holds_against(attack: Attack, mode: SandboxMode, world: World):
    tool = RunCommand(context(world, mode), grace=0.5)
    with anyio.fail_after(30):
        outcome = await tool.call(
            {"command": attack.command(world), "network": attack.network, "timeout": 20}
        )
    attack.check(outcome.content, world, mode)


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
async def test_the_sandbox_refuses_typing_into_the_terminal_with_tiocsti(mode: SandboxMode, world: World):
    code = (
        "import fcntl, termios\ntry:\n    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n    print('injected')\n"
        "except OSError as err:\n    print('refused', err.strerror)"
    )
    registry = ProcessRegistry(grace=0.5)
    try:
        tool = StartProcess(context(world, mode), registry)
        outcome = await tool.call(
            {"command": _py(code), "wait_for": r"(injected|refused [^\r\n]+)\r?\n", "timeout": 10}
        )
    finally:
        await registry.close()
    assert "refused Operation not permitted" in outcome.content, outcome.content
