"""Which workspace a folder belongs to, asked of a real git, and remembered only while it still holds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from m2bridge.workspace import WorkspaceMemo, detect_workspace


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_detect_workspace_is_the_repository_top_level(tmp_path: Path) -> None:
    _git_init(tmp_path / "repo")
    (tmp_path / "repo" / "src").mkdir()
    assert detect_workspace(tmp_path / "repo" / "src") == (tmp_path / "repo").resolve()


def test_detect_workspace_outside_a_repository_is_the_folder_itself(tmp_path: Path) -> None:
    assert detect_workspace(tmp_path) == tmp_path.resolve()


def test_memo_answers_again_without_running_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git_init(tmp_path / "repo")
    start = tmp_path / "repo" / "src"
    start.mkdir()
    memo = WorkspaceMemo()
    assert memo.known(start) is None
    assert memo.detect(start) == (tmp_path / "repo").resolve()
    monkeypatch.setenv("PATH", "")  # git can no longer be found: only a remembered answer knows the repo
    assert detect_workspace(start) == start.resolve()
    assert memo.known(start) == (tmp_path / "repo").resolve()
    assert memo.detect(start) == (tmp_path / "repo").resolve()


def test_memo_follows_a_repository_created_after_it_answered(tmp_path: Path) -> None:
    start = tmp_path / "project" / "src"
    start.mkdir(parents=True)
    memo = WorkspaceMemo()
    assert memo.detect(start) == start.resolve()
    _git_init(tmp_path / "project")
    assert memo.known(start) is None
    assert memo.detect(start) == (tmp_path / "project").resolve()


def test_memo_follows_a_repository_removed_after_it_answered(tmp_path: Path) -> None:
    _git_init(tmp_path / "project")
    start = tmp_path / "project" / "src"
    start.mkdir()
    memo = WorkspaceMemo()
    assert memo.detect(start) == (tmp_path / "project").resolve()
    subprocess.run(["rm", "-rf", str(tmp_path / "project" / ".git")], check=True)
    assert memo.known(start) is None
    assert memo.detect(start) == start.resolve()


def test_memo_follows_a_symlinked_start_that_points_elsewhere(tmp_path: Path) -> None:
    _git_init(tmp_path / "one")
    (tmp_path / "two").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "one")
    memo = WorkspaceMemo()
    assert memo.detect(link) == (tmp_path / "one").resolve()
    link.unlink()
    os.symlink(tmp_path / "two", link)
    assert memo.known(link) is None
    assert memo.detect(link) == (tmp_path / "two").resolve()
