"""`python -m mcp_tools.sandbox.enter`: the sandbox for a command someone else starts (the editor's
terminal). Run here as the editor would run it: a real process, with the command line `enter_command`
makes, confined as the process tools' commands are, or not run at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_tools.sandbox import Confinement, SandboxMode, sandbox_support
from mcp_tools.sandbox.enter import CANNOT_ENTER, enter_command
from tests.mcp_tools.terminal.procs import TOKEN_VARIABLE, still_running, token_holders
from tests.support.no_bwrap import path_without_bwrap

needs_bwrap = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and sandbox_support().available), reason="needs bubblewrap"
)


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside /tmp (which the sandbox replaces with its own): an escaped write would land here."""
    folder = Path(tempfile.mkdtemp(prefix="m2bridge-enter-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder)


def walls(root: Path, mode: SandboxMode = SandboxMode.WORKSPACE_WRITE) -> Confinement:
    return Confinement(mode, network=False, roots=(root.resolve(),))


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


@needs_bwrap
def test_the_command_runs_confined_writing_only_in_its_roots(tmp_path: Path, outside: Path) -> None:
    script = f"echo inside > made.txt; echo out > {outside}/escaped.txt; exit 7"
    ran = run(enter_command(walls(tmp_path), tmp_path, ["/bin/sh", "-c", script]), tmp_path)

    assert ran.returncode == 7, ran.stderr
    assert (tmp_path / "made.txt").read_text() == "inside\n"
    assert not (outside / "escaped.txt").exists()
    assert "Read-only file system" in ran.stderr


@needs_bwrap
def test_read_only_mode_writes_nowhere(tmp_path: Path) -> None:
    confined = walls(tmp_path, SandboxMode.READ_ONLY)
    ran = run(enter_command(confined, tmp_path, ["/bin/sh", "-c", "echo x > made.txt"]), tmp_path)

    assert ran.returncode != 0 and not (tmp_path / "made.txt").exists()


@needs_bwrap
def test_the_seccomp_filter_reaches_the_command_through_exec(tmp_path: Path) -> None:
    if sandbox_support().mechanism != "bubblewrap":
        pytest.skip("seccomp is bubblewrap's")
    ran = run(enter_command(walls(tmp_path), tmp_path, ["grep", "^Seccomp:", "/proc/self/status"]), tmp_path)

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["Seccomp:", "2"]  # filter mode


@needs_bwrap
def test_secret_variables_the_editor_adds_never_reach_the_command(tmp_path: Path) -> None:
    command = enter_command(walls(tmp_path), tmp_path, ["/bin/sh", "-c", "env"])
    ran = run(command, tmp_path, MINIMAX_API_KEY="sk-from-the-editor", OTHER_API_KEY="k", KEPT="yes")

    assert ran.returncode == 0, ran.stderr
    assert "sk-from-the-editor" not in ran.stdout and "OTHER_API_KEY" not in ran.stdout
    assert "KEPT=yes" in ran.stdout


def started(command: list[str], cwd: Path, token: str) -> subprocess.Popen[bytes]:
    """`command` started as an editor would, once it became bubblewrap (bounded wait)."""
    launcher = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, TOKEN_VARIABLE: token}, start_new_session=True
    )
    for _ in range(200):  # bounded: until the exec into bubblewrap happened, and the command runs
        cmdline = Path(f"/proc/{launcher.pid}/cmdline").read_bytes().decode(errors="replace")
        if "bwrap" in cmdline and len(token_holders(token)) > 1:
            return launcher
        time.sleep(0.05)
    os.killpg(launcher.pid, signal.SIGKILL)
    raise AssertionError("the launcher never started the command")


def ignored_signals(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("SigIgn:")).split()[1], 16)


@needs_bwrap
def test_the_launcher_ignores_the_terminals_signals_and_the_command_does_not(tmp_path: Path) -> None:
    command = enter_command(walls(tmp_path), tmp_path, ["/bin/sh", "-c", "grep ^SigIgn: /proc/self/status"])
    launcher = started([*command[:-3], "sleep", "30"], tmp_path, uuid.uuid4().hex)
    try:
        ignored = ignored_signals(launcher.pid)
        inner = run(command, tmp_path)
    finally:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait(10)

    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        assert ignored & (1 << (sig - 1)), f"the launcher does not ignore {sig.name}"
    assert not ignored & (1 << (signal.SIGTERM - 1)), "SIGTERM must stop the launcher: no supervisor here"
    command_ignores = int(inner.stdout.split()[1], 16)
    for sig in (signal.SIGINT, signal.SIGTERM):
        assert not command_ignores & (1 << (sig - 1)), f"the command starts with {sig.name} ignored"


@needs_bwrap
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_an_editor_killing_the_launcher_alone_ends_the_sandboxed_command(
    tmp_path: Path, sig: signal.Signals
) -> None:
    token = uuid.uuid4().hex
    command = enter_command(walls(tmp_path), tmp_path, ["/bin/sh", "-c", "sleep 60; echo never"])
    launcher = started(command, tmp_path, token)
    try:
        os.kill(launcher.pid, sig)  # the process it started, not its group
        launcher.wait(10)
        left = still_running(token, within=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)
        for pid in token_holders(token):
            os.kill(pid, signal.SIGKILL)

    assert left == []


def test_without_a_sandbox_the_command_is_not_run(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("a PATH without bwrap is how a Linux machine lacks a sandbox")
    command = enter_command(walls(tmp_path), tmp_path, ["/bin/sh", "-c", "echo ran > made.txt"])
    ran = run(command, tmp_path, PATH=path_without_bwrap(tmp_path / "bin"))

    assert ran.returncode == CANNOT_ENTER
    assert "the command was not run" in ran.stderr
    assert not (tmp_path / "made.txt").exists()


def test_an_unreadable_confinement_runs_nothing(tmp_path: Path) -> None:
    command = [sys.executable, "-I", "-m", "mcp_tools.sandbox.enter", "{not json", "--", "touch", "made.txt"]
    ran = run(command, tmp_path)

    assert ran.returncode == 2 and "unreadable confinement" in ran.stderr
    assert not (tmp_path / "made.txt").exists()


def test_a_module_in_the_project_folder_cannot_stand_in_for_the_sandbox(tmp_path: Path) -> None:
    fake = tmp_path / "mcp_tools" / "sandbox"
    fake.mkdir(parents=True)
    for init in (tmp_path / "mcp_tools" / "__init__.py", fake / "__init__.py"):
        init.write_text("")
    (fake / "enter.py").write_text("import pathlib; pathlib.Path('hijacked.txt').write_text('x')\n")
    command = enter_command(walls(tmp_path), tmp_path, ["/bin/true"])
    run(command, tmp_path)

    assert not (tmp_path / "hijacked.txt").exists()
