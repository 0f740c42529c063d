"""A config file, a session store or an HTTP port that cannot be used: one line on stderr naming the file
(or the port), a failing exit code, never a traceback. Real processes on real files and sockets.

Tests run as root here, where chmod 000 stops no read: the unreadable cases are a folder in the file's
place, content that is not TOML or not UTF-8, and a file where a folder should be; chmod 000 runs as well
when the suite runs as another user.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.env import m2_env, run_cli
from tests.support.mcp_clients import server_env


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def folder_instead(path: Path) -> None:
    path.mkdir()


def not_toml(path: Path) -> None:
    path.write_text("model = \n")


def not_utf8(path: Path) -> None:
    path.write_bytes(b'model = "\xff\xfe"\n')


def no_permission(path: Path) -> None:
    path.write_text('model = "MiniMax-M2"\n')
    path.chmod(0)


CONFIG_DAMAGE: list[object] = [
    pytest.param(folder_instead, id="a-folder"),
    pytest.param(not_toml, id="not-toml"),
    pytest.param(not_utf8, id="not-utf8"),
    pytest.param(
        no_permission,
        id="no-permission",
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file"),
    ),
]
COMMANDS = {
    "chat-p": ["chat", "-p", "hello"],
    "sessions-list": ["sessions", "list"],
    "mcp-stdio": ["mcp"],
    "mcp-http": ["mcp", "--transport", "http", "--port", "0"],
}


@pytest.mark.parametrize("damage", CONFIG_DAMAGE)
@pytest.mark.parametrize("args", list(COMMANDS.values()), ids=list(COMMANDS))
def test_a_user_config_that_cannot_be_read_is_one_line_naming_it(
    tmp_path: Path, fake_minimax: object, damage: Callable[[Path], None], args: list[str]
) -> None:
    env = m2_env(tmp_path, fake_minimax)
    config = Path(env["M2BRIDGE_CONFIG"])
    damage(config)
    proc = run_cli(args, env, tmp_path)
    assert proc.returncode == 1
    line = one_line(proc)
    assert str(config) in line and "Errno" not in line


@pytest.mark.parametrize("args", [COMMANDS["chat-p"], COMMANDS["sessions-list"], ["sessions", "export", "x"]])
def test_a_session_store_folder_that_is_a_file_is_one_line_naming_it(
    tmp_path: Path, fake_minimax: object, args: list[str]
) -> None:
    env = m2_env(tmp_path, fake_minimax)
    home = Path(env["M2BRIDGE_HOME"])
    home.write_text("not a folder\n")
    proc = run_cli(args, env, tmp_path)
    assert proc.returncode == 1
    line = one_line(proc)
    assert str(home) in line and "Not a directory" in line


@pytest.mark.parametrize("args", [COMMANDS["chat-p"], COMMANDS["sessions-list"]])
def test_a_session_store_that_is_a_folder_is_one_line_naming_it(
    tmp_path: Path, fake_minimax: object, args: list[str]
) -> None:
    env = m2_env(tmp_path, fake_minimax)
    store = Path(env["M2BRIDGE_HOME"]) / "sessions.db"
    store.mkdir(parents=True)
    proc = run_cli(args, env, tmp_path)
    assert proc.returncode == 1
    assert str(store) in one_line(proc)


def test_an_http_port_in_use_is_one_line_saying_how_to_choose_another(tmp_path: Path) -> None:
    env = server_env(tmp_path / "home")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli(
            ["mcp", "--transport", "http", "--port", str(port), "--root", str(tmp_path)], env, tmp_path
        )
    assert proc.returncode == 1
    line = one_line(proc)
    assert f"port {port}" in line and "in use" in line and "--port 0" in line


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
@pytest.mark.parametrize(
    "args", [["mcp", "--transport", "http"], ["mcp", "config", "--client", "vscode", "--transport", "http"]]
)
def test_an_http_port_out_of_range_is_a_one_line_usage_error(
    tmp_path: Path, args: list[str], port: str
) -> None:
    proc = run_cli([*args, "--port", port], server_env(tmp_path / "home"), tmp_path)
    assert proc.returncode == 2
    line = one_line(proc)
    assert "--port must be between 0 and 65535" in line and port in line
