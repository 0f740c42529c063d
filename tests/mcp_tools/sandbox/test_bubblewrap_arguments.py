"""The bubblewrap command line: what is hidden, in which order the mounts come, what the modes bind."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_tools.sandbox import Confinement, SandboxMode, hidden_paths
from mcp_tools.sandbox.bubblewrap import bwrap_arguments


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".aws").mkdir()
    (home / ".netrc").write_text("x")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("M2BRIDGE_HOME", str(tmp_path / "m2home"))
    (tmp_path / "m2home").mkdir()
    return home


def test_the_secrets_that_exist_are_hidden_and_m2bridge_home_with_them(home: Path, tmp_path: Path):
    found = hidden_paths([tmp_path / "repo"])
    assert home / ".ssh" in found and home / ".aws" in found and home / ".netrc" in found
    assert tmp_path / "m2home" in found
    assert home / ".kube" not in found  # it does not exist


def test_a_secret_inside_a_root_the_user_opened_stays_visible(home: Path):
    assert not any(p == home / ".ssh" or home in p.parents for p in hidden_paths([home]))


def test_folders_are_emptied_files_nulled_and_the_roots_bound_after_them(home: Path, tmp_path: Path):
    repo = tmp_path / "repo"
    args = bwrap_arguments(Confinement(SandboxMode.WORKSPACE_WRITE, False, (repo,)), repo, seccomp_fd=7)
    text = " ".join(args)
    assert f"--tmpfs {home / '.ssh'}" in text and f"--ro-bind /dev/null {home / '.netrc'}" in text
    assert text.index("--tmpfs /tmp") < text.index(f"--bind {repo} {repo}")
    assert text.index(f"--tmpfs {home / '.ssh'}") < text.index(f"--bind {repo} {repo}")
    assert text.index(f"--bind {repo} {repo}") < text.index(f"--remount-ro {home / '.ssh'}")
    assert "--unshare-net" in args and "--seccomp 7" in text and args[-1] == "--"


def test_read_only_binds_the_roots_read_only_and_network_drops_the_net_namespace(tmp_path: Path):
    repo = tmp_path / "repo"
    args = bwrap_arguments(Confinement(SandboxMode.READ_ONLY, True, (repo,)), repo, seccomp_fd=None)
    text = " ".join(args)
    assert f"--ro-bind {repo} {repo}" in text and f"--bind {repo}" not in text
    assert "--unshare-net" not in args and "--seccomp" not in args
