"""`scripts/install`, the README's install command, as a new user runs it: into a fresh HOME, then
`m2bridge` is found on PATH from another folder, the language server answers, and `--upgrade` and
`--uninstall` do what they say. Real processes; pip fetches the dependencies from PyPI (its cache is
shared with the machine's, so a second run downloads little), hence slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from m2bridge import __version__
from tests.support.env import ROOT
from tests.support.lsp_wire import RawLspPipe

INSTALL = ROOT / "scripts" / "install"


def machine_pip_cache() -> str:
    return os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


def fresh_user(tmp_path: Path) -> dict[str, str]:
    """A user with nothing installed: their own HOME and XDG folders, the machine's python3 on PATH."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_BIN_HOME": str(home / ".local" / "bin"),
        "PIP_CACHE_DIR": machine_pip_cache(),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def install(env: dict[str, str], cwd: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(INSTALL), *flags], env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def lsp_answers_initialize(env: dict[str, str], cwd: Path) -> dict[str, object]:
    server = subprocess.Popen(
        ["m2bridge", "lsp"], env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        pipe = RawLspPipe(server)
        pipe.send({"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}})
        answer = pipe.answer_to(1, timeout=60)
        pipe.send({"id": 2, "method": "shutdown"})
        pipe.answer_to(2, timeout=60)
        pipe.send({"method": "exit"})
        assert server.wait(timeout=60) == 0
        return answer
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=60)
        for stream in (server.stdin, server.stdout):
            if stream is not None:
                stream.close()


@pytest.mark.slow
def test_the_install_command_puts_m2bridge_on_path_for_any_folder_and_upgrade_and_uninstall_work(
    tmp_path: Path,
) -> None:
    env = fresh_user(tmp_path)
    bin_dir = Path(env["XDG_BIN_HOME"])
    venv = Path(env["XDG_DATA_HOME"]) / "m2bridge" / "venv"
    elsewhere = tmp_path / "some-project"
    elsewhere.mkdir()

    first = install(env, elsewhere)
    # The bin folder is not on this user's PATH yet: the script says how to add it.
    assert f'export PATH="{bin_dir}:$PATH"' in first.stdout
    assert not (ROOT / "build").exists(), "the install left a build/ folder in the clone"

    user = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "M2BRIDGE_HOME": str(tmp_path / "m2home")}
    assert shutil.which("m2bridge", path=user["PATH"]) == str(bin_dir / "m2bridge")
    version = subprocess.run(
        ["m2bridge", "--version"], env=user, cwd=elsewhere, capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0 and version.stdout.strip() == f"m2bridge {__version__}"
    # The command runs the installed copy, not the clone's sources.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import m2bridge; print(m2bridge.__file__)"],
        env=user,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert where.stdout.startswith(str(venv))
    answer = lsp_answers_initialize(user, elsewhere)
    assert answer["result"]["serverInfo"]["name"] == "m2bridge"  # type: ignore[index]

    again = install(user, elsewhere)
    assert "already installed" in again.stdout and "not on your PATH" not in again.stdout

    install(user, elsewhere, "--upgrade")
    assert subprocess.run(["m2bridge", "--version"], env=user, cwd=elsewhere, timeout=60).returncode == 0

    # Uninstall takes the command and its environment, and leaves the user's data beside it alone.
    kept = venv.parent / "sessions.db"
    kept.write_bytes(b"the user's sessions")
    install(user, elsewhere, "--uninstall")
    assert not (bin_dir / "m2bridge").exists() and not (bin_dir / "m2bridge").is_symlink()
    assert not venv.exists() and kept.read_bytes() == b"the user's sessions"
    assert shutil.which("m2bridge", path=f"{bin_dir}") is None


def test_the_install_command_refuses_to_replace_an_m2bridge_it_did_not_make(tmp_path: Path) -> None:
    env = fresh_user(tmp_path)
    bin_dir = Path(env["XDG_BIN_HOME"])
    bin_dir.mkdir(parents=True)
    theirs = bin_dir / "m2bridge"
    theirs.write_text("#!/bin/sh\necho another install\n")
    venv = Path(env["XDG_DATA_HOME"]) / "m2bridge" / "venv"
    # An environment already there (made without pip: nothing is downloaded) takes the install path
    # straight to the link.
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (venv / "bin" / "m2bridge").write_text("#!/bin/sh\necho m2bridge 0.0.0\n")
    (venv / "bin" / "m2bridge").chmod(0o755)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "m2bridge.py").write_text("")
    proc = subprocess.run(
        [str(INSTALL)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1 and "not the one scripts/install makes" in proc.stderr
    assert theirs.read_text() == "#!/bin/sh\necho another install\n"
    # Nor does --uninstall remove it.
    proc = subprocess.run(
        [str(INSTALL), "--uninstall"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and theirs.exists() and not venv.exists()
