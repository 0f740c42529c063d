"""The real `m2bridge mcp` over stdio: what it runs dies with it, and cannot read the key out of it.

A SIGKILLed server runs no cleanup code; the commands it started must still end (the supervisor's
lifeline), escaped descendants included. And a command running as the same user as the server must not
read the API key from the server's /proc entries (the server is non-dumpable). That second part is tested
with the server running as an ordinary user (`nobody` when the suite runs as root): root, or any process
with CAP_SYS_PTRACE or CAP_SYS_ADMIN, reads a non-dumpable process's environ anyway, as the README says.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.mcp_tools.terminal.procs import TOKEN_VARIABLE, read_pids, still_running, token_holders
from tests.support.env import m2_env, make_project
from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of
from tests.support.sent import tool_results_sent

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_DUMPABLE, subreapers and /proc are Linux's"
)

FAKE_KEY = "sk-fake-key-7c1e9d2b4a"
NOBODY = 65534
_QUIET = "</dev/null >/dev/null 2>&1"
PYTHON = shlex.quote(sys.executable)
DAEMON = (
    f'{PYTHON} -c "import os, time; os.fork() and os._exit(0); os.setsid(); '
    "os.fork() and os._exit(0); open('{name}', 'w').write(f'{{os.getpid()}}\\n'); "
    f'time.sleep(300)" {_QUIET}'
)


def _spawn(prefix: str) -> tuple[str, list[str]]:
    """A shell line starting a plain child, a setsid'd one and a daemon, each writing `<prefix>-*.pid`."""
    names = [f"{prefix}-child.pid", f"{prefix}-setsid.pid", f"{prefix}-daemon.pid"]
    line = (
        f"sleep 300 {_QUIET} & echo $! > {names[0]}; "
        f"setsid sleep 300 {_QUIET} & echo $! > {names[1]}; "
        + DAEMON.format(name=names[2])
        + "; "
        + " ".join(f"while [ ! -s {n} ]; do sleep 0.02; done;" for n in names)
    )
    return line, names


def _server_pid(root: Path) -> int:
    """The `m2bridge mcp` process this test started for `root` (a child of this process)."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{entry}/status").read_text()
            parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if parent == me and b"mcp" in argv and str(root).encode() in argv:
                return int(entry)
    raise AssertionError(f"no m2bridge mcp child for {root}")


async def test_every_process_a_sigkilled_server_started_dies_with_it(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    run_line, run_names = _spawn("run")
    process_line, process_names = _spawn("process")
    # The commands run in a PID namespace of their own (the sandbox): the pids they write mean nothing out
    # here. Every process of theirs carries this token in its environment instead, which /proc shows.
    token = uuid.uuid4().hex
    holders: list[int] = []
    params = stdio_params([root], server_env(tmp_path / "home", **{TOKEN_VARIABLE: token}))
    with contextlib.suppress(Exception):  # the client's session ends badly: its server was killed
        async with stdio_client(params, "legacy") as client, anyio.create_task_group() as group:
            server = _server_pid(root)
            started = await client.call_tool(
                "start_process", {"command": process_line + " echo ready; sleep 300", "wait_for": "ready"}
            )
            assert "matched" in text_of(started), text_of(started)
            # A run_command still in flight, far from its timeout, when the server dies.
            group.start_soon(
                client.call_tool, "run_command", {"command": run_line + " sleep 300", "timeout": 600}
            )
            await anyio.to_thread.run_sync(read_pids, root, run_names + process_names)
            holders = token_holders(token)
            os.kill(server, signal.SIGKILL)
            group.cancel_scope.cancel()
    # Each command's child, setsid'd child and daemon, its shell, and what runs it (supervisor, sandbox).
    assert len(holders) >= 6, holders
    assert still_running(token, within=10) == [], f"outlived the SIGKILLed server: {holders}"


# Root (CAP_SYS_PTRACE, CAP_SYS_ADMIN) reads a non-dumpable process's environ anyway, so when the suite runs
# as root the server runs as nobody; CAP_DAC_READ_SEARCH (inherited by its commands too) only lets it reach
# the interpreter under /root, and is not a capability that opens another process's /proc entries.
ORDINARY = NOBODY if os.geteuid() == 0 else os.geteuid()
as_ordinary_user = pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="as root, setpriv runs the server as nobody"
)


def _as_ordinary_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    caps = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    setpriv = shutil.which("setpriv") or "setpriv"
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *caps, *argv]


def _hand_over(base: Path) -> None:
    """Make `base` and everything in it the ordinary user's."""
    if os.geteuid() == 0:
        for path in [base, *base.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)


def _ordinary_home(tmp_path: Path) -> tuple[Path, Path]:
    """A root folder and a home the server, running as an ordinary user, can write."""
    base = tmp_path / "ordinary"
    root, home = base / "repo", base / "home"
    for folder in (base, root, home):
        folder.mkdir()
    _hand_over(base)
    return root, home


def _runs_as_ordinary_user(pid: int, program: str) -> bool:
    """`pid` runs `program` (not setpriv any more) as the ordinary user."""
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        return uid == str(ORDINARY) and argv0 == program.encode()
    return False


# Every environment block this command may read, the server's first (it is our shell's grandparent).
_READ_EVERY_ENVIRON = (
    "echo holding=$(for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f 2>/dev/null; done "
    "| grep -c sk-fake); "
    "server=$(awk '{print $4}' /proc/$PPID/stat); echo server=$server; "
    "cat /proc/$server/environ /proc/$PPID/environ; echo mem=$(head -c 100 /proc/$server/mem | wc -c); "
    "echo walked"
)


@as_ordinary_user
async def test_a_command_cannot_read_the_key_from_a_server_running_as_the_same_user(tmp_path: Path):
    root, home = _ordinary_home(tmp_path)
    # With the sandbox off: what is attacked is the server's own defence (non-dumpable), which must hold
    # without one (inside the sandbox the command cannot even see the server's /proc entries).
    params = stdio_params(
        [root], server_env(home, MINIMAX_API_KEY=FAKE_KEY, TMPDIR=str(home)), "--sandbox", "off"
    )
    params.command, *params.args = _as_ordinary_user([params.command, *params.args])
    async with stdio_client(params, "legacy") as client:
        server = _server_pid(root)
        assert _runs_as_ordinary_user(server, sys.executable)
        result = await client.call_tool("run_command", {"command": _READ_EVERY_ENVIRON})
        output = text_of(result)
        environ_owner = os.stat(f"/proc/{server}/environ").st_uid
    assert FAKE_KEY not in output, output
    assert "walked" in output and f"server={server}" in output, output
    assert "holding=0\n" in output  # not one readable environment holds the key
    assert "mem=0\n" in output
    assert f"/proc/{server}/environ: Permission denied" in output
    assert f"'/proc/{server}/mem' for reading: Permission denied" in output
    assert environ_owner == 0  # non-dumpable: the kernel shows its /proc entries as root's


@as_ordinary_user
@pytest.mark.parametrize(
    "entry",
    [
        ["-m", "m2bridge", "lsp"],
        ["-m", "m2bridge", "acp"],
        ["-c", "from lsp.cli import main; main([])"],
        ["-c", "from mcp_tools.server.cli import main; main([])"],
    ],
    ids=["m2bridge-lsp", "m2bridge-acp", "lsp.cli", "mcp_tools.server.cli"],
)
def test_every_tool_running_entry_point_makes_itself_non_dumpable(tmp_path: Path, entry: list[str]):
    root, home = _ordinary_home(tmp_path)
    env = server_env(home, MINIMAX_API_KEY=FAKE_KEY, TMPDIR=str(home))
    argv = _as_ordinary_user([sys.executable, *entry])
    server = subprocess.Popen(
        argv, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        # setpriv is root until it execs the interpreter as nobody; only then does the check mean anything.
        while not _runs_as_ordinary_user(server.pid, sys.executable):
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        # Dumpable until its main() runs; a non-dumpable process's /proc entries belong to root.
        while os.stat(f"/proc/{server.pid}/environ").st_uid != 0:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "still dumpable after 30 s"
            time.sleep(0.05)
    finally:
        server.kill()
        server.communicate(timeout=30)


@as_ordinary_user
def test_chat_stores_no_key_a_command_tried_to_read_from_its_parent(tmp_path: Path, fake_minimax: Any):
    """The finding end to end: the model runs the attack in chat; neither M2 nor the store sees the key."""
    base = tmp_path / "ordinary"
    base.mkdir()
    repo = make_project(base)
    env = m2_env(base, fake_minimax, MINIMAX_API_KEY=FAKE_KEY)
    fake_minimax.api_key = FAKE_KEY
    (base / "home").mkdir()
    _hand_over(base)
    fake_minimax.script(CallTools([("run_command", {"command": _READ_EVERY_ENVIRON})]), Reply("done"))
    chat = ["-m", "m2bridge", "chat", "-p", "look", "--yes", "--json", "--sandbox", "off"]  # as above
    argv = _as_ordinary_user([sys.executable, *chat])
    done = subprocess.run(argv, env=env, cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    results = tool_results_sent(fake_minimax)
    assert any("walked" in r for r in results), results
    assert not any(FAKE_KEY in r for r in results), results
    stored = b"".join(p.read_bytes() for p in (base / "home").rglob("*") if p.is_file())
    assert stored and FAKE_KEY.encode() not in stored
