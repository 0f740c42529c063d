"""Hostile git repositories for the git tools' attack tests.

A superproject with a submodule whose recorded commit moved (so a `diff.submodule=diff` would run git inside
it), a signed commit (so showing signatures would run gpg), changed files (so status and diff read them
through any filter), an outside repository holding a secret, and marker programs: each leaves a file named
after itself in `markers/` if anything ever runs it. The repository is built once per session and copied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcp_tools.budget import Spill
from mcp_tools.disk import DiskWorkspace
from mcp_tools.paths import PathPolicy
from mcp_tools.tool_context import ToolContext, child_environment
from tests.support.sandbox import SECRET

__all__ = ["OUTSIDE_SUBJECT", "HostileRepo", "hostile_repo", "hostile_template", "run_git"]

# The outside repository's one commit message: seeing it in an output means git read that repository.
OUTSIDE_SUBJECT = "outside-commit-subject"


def run_git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """git as a test author runs it: fixed identity, none of the user's config."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@e.x",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@e.x",
        "GIT_AUTHOR_DATE": "1700000000 +0000",
        "GIT_COMMITTER_DATE": "1700000000 +0000",
    }
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


@dataclass(frozen=True)
class HostileRepo:
    base: Path
    root: Path  # the superproject: the server's only root
    outside: Path  # a real repository outside the root, holding secret.txt
    scripts: Path
    markers: Path

    @property
    def git_dir(self) -> Path:
        return self.root / ".git"

    @property
    def sub_git_dir(self) -> Path:
        """The submodule's own git folder, where its config lives."""
        return self.root / ".git" / "modules" / "sub"

    def program(self, name: str, tail: str = "cat") -> str:
        """A real executable that leaves `markers/name` behind, then runs `tail` (shell)."""
        script = self.scripts / name
        script.write_text(f'#!/bin/sh\ntouch "{self.markers / name}"\n{tail}\n')
        script.chmod(0o755)
        return str(script)

    def configure(self, config_file: Path, key: str, value: str) -> None:
        run_git(self.base, "config", "--file", str(config_file), "--add", key, value)

    def ran(self) -> list[str]:
        return sorted(p.name for p in self.markers.iterdir())

    def context(self) -> ToolContext:
        """The tools' context with the superproject as the only root (the spill folder read-only)."""
        spill = Spill(self.base / "spill")
        spill.folder.mkdir(exist_ok=True)
        policy = PathPolicy.of([self.root], read_only_roots=[spill.folder])
        env = child_environment({"PATH": os.environ["PATH"], "HOME": str(self.base / "home")})
        return ToolContext(base_policy=policy, spill=spill, workspace=DiskWorkspace(), child_env=env)


def _commit_signed(repo: Path, message: str) -> None:
    """Commit the index as a commit carrying a (fake) PGP signature: verifying it would run gpg."""
    tree = run_git(repo, "write-tree").strip()
    parent = run_git(repo, "rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author T <t@e.x> 1700000000 +0000\ncommitter T <t@e.x> 1700000000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n"
        f"{message}\n"
    )
    signed = run_git(repo, "hash-object", "-t", "commit", "-w", "--stdin", stdin=body).strip()
    run_git(repo, "update-ref", "HEAD", signed)


def _build(base: Path) -> None:
    source, root, outside = base / "sub-source", base / "repo", base / "outside"
    for folder in (source, root, outside):
        folder.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    run_git(outside, "init", "-q", "-b", "main")
    run_git(outside, "add", "secret.txt")
    run_git(outside, "commit", "-q", "-m", OUTSIDE_SUBJECT)
    (source / "a.txt").write_text("a\n")
    run_git(source, "init", "-q", "-b", "main")
    run_git(source, "add", "a.txt")
    run_git(source, "commit", "-q", "-m", "s1")
    (root / "hello.py").write_text("print('hello')\n")
    (root / "notes.md").write_text("# notes\n")
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "add", "hello.py", "notes.md")
    run_git(root, "commit", "-q", "-m", "first")
    run_git(root, "submodule", "add", "-q", str(source), "sub")
    run_git(root, "commit", "-q", "-m", "add the submodule")
    # The signed commit moves the submodule and changes a file: showing it diffs both.
    (root / "sub" / "a.txt").write_text("a\nb\n")
    run_git(root / "sub", "commit", "-q", "-am", "s2")
    (root / "hello.py").write_text("print('hello')\nprint('again')\n")
    run_git(root, "add", "sub", "hello.py")
    _commit_signed(root, "signed: move the submodule")
    # The working tree differs everywhere: a new submodule commit, dirty submodule and superproject files
    # of unchanged size (so git must read them, through any filter, to compare).
    (root / "sub" / "a.txt").write_text("a\nc\n")
    run_git(root / "sub", "commit", "-q", "-am", "s3")
    (root / "sub" / "a.txt").write_text("a\nd\n")
    (root / "hello.py").write_text("print('HELLO')\nprint('AGAIN')\n")
    (root / "notes.md").write_text("# NOTES\n")


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile-template")
    _build(base)
    return base


@pytest.fixture
def hostile_repo(hostile_template: Path, tmp_path: Path) -> HostileRepo:
    """A fresh copy of the hostile template: every test plants its own settings."""
    base = tmp_path.resolve()
    for name in ("repo", "outside", "sub-source"):
        shutil.copytree(hostile_template / name, base / name, symlinks=True)
    for name in ("scripts", "markers", "home"):
        (base / name).mkdir()
    return HostileRepo(base, base / "repo", base / "outside", base / "scripts", base / "markers")
