"""The first run from a clone, as a new user meets it: `scripts/start` says each step of its set-up on stderr
(stdout stays the MCP protocol's), and later starts re-create nothing. `m2bridge mcp --help` leads to the
client configs. Real processes on a copy of the scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2bridge import __version__
from tests.support.env import ROOT
from tests.support.mcp_clients import INITIALIZE_REQUEST, server_env

A_DAY = 24 * 3600


def run_script(project: Path, name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / "scripts" / name), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "M2BRIDGE_HOME": str(project / "m2home")},
    )


def ready_project(tmp_path: Path) -> Path:
    """The set-up script beside a .venv that is already set up (made without pip, stamped as installed)."""
    project = tmp_path / "clone"
    (project / "scripts").mkdir(parents=True)
    for script in ("setup", "sandbox"):
        shutil.copy2(ROOT / "scripts" / script, project / "scripts" / script)
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    subprocess.run(
        ["python3", "-m", "venv", "--without-pip", str(project / ".venv")], check=True, timeout=120
    )
    stamp = project / ".venv" / ".installed"
    stamp.touch()
    # Everything the venv holds dates from yesterday, so any rewrite shows in its times.
    old = time.time() - A_DAY
    os.utime(project / "pyproject.toml", (old - A_DAY, old - A_DAY))
    os.utime(project / ".venv" / "pyvenv.cfg", (old, old))
    os.utime(stamp, (old, old))
    return project


def test_setup_with_a_ready_environment_runs_no_venv_and_says_nothing(tmp_path: Path) -> None:
    project = ready_project(tmp_path)
    config = project / ".venv" / "pyvenv.cfg"
    python = project / ".venv" / "bin" / "python"
    before = (
        config.stat().st_mtime_ns,
        config.stat().st_ino,
        python.lstat().st_ino,
        python.lstat().st_mtime_ns,
    )

    proc = run_script(project, "setup")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    # `python3 -m venv` rewrites pyvenv.cfg every time it runs over a venv.
    after = (
        config.stat().st_mtime_ns,
        config.stat().st_ino,
        python.lstat().st_ino,
        python.lstat().st_mtime_ns,
    )
    assert after == before


def test_setup_over_a_broken_environment_says_it_makes_it_afresh(tmp_path: Path) -> None:
    project = ready_project(tmp_path)
    python = project / ".venv" / "bin" / "python"
    # The Python it was made from is gone (a system upgrade): the old venv's python cannot start.
    for name in ("python", "python3"):
        (project / ".venv" / "bin" / name).unlink()
    python.symlink_to(tmp_path / "gone" / "python3.11")
    # No network here: stop at the step after the venv by making pip's install fail at once.
    proc = subprocess.run(
        [str(project / "scripts" / "setup")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "no-wheels")},
    )
    assert proc.stdout == ""
    assert "creating the Python environment" in proc.stderr.splitlines()[0]
    assert subprocess.run([str(python), "-c", ""], timeout=60).returncode == 0
    assert "installing m2bridge" in proc.stderr


@pytest.mark.slow
def test_the_first_start_of_a_fresh_clone_says_each_step_and_the_second_re_creates_nothing(
    tmp_path: Path,
) -> None:
    project = tmp_path / "clone"
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "-z",
            "scripts",
            "m2bridge",
            "mcp_tools",
            "lsp",
            "acp_agent",
            "pyproject.toml",
            "README.md",
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in tracked)):
        if (ROOT / name).exists():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)

    # An MCP client starting the server from the fresh clone: its first answer must be the first line.
    first = run_script(project, "start", stdin=json.dumps(INITIALIZE_REQUEST) + "\n")
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout.splitlines()[0])
    assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"]
    steps = [line for line in first.stderr.splitlines() if line.startswith("m2bridge setup: ")]
    assert [s.split(":")[1].split()[0] for s in steps] == ["creating", "installing", "ready"]
    assert "about" in steps[1]

    config = project / ".venv" / "pyvenv.cfg"
    before = config.stat().st_mtime_ns
    second = run_script(project, "start", "--version")
    assert second.returncode == 0 and second.stdout.strip() == f"m2bridge {__version__}"
    assert second.stderr == "" and config.stat().st_mtime_ns == before


def test_the_mcp_help_leads_to_the_client_configs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "m2bridge", "mcp", "--help"],
        env=server_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "m2bridge mcp config --client" in proc.stdout
