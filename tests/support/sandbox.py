"""A sandbox for tool tests: a root with a real git repo, an outside folder, a sibling-prefix folder and
symlinks that lead out; and a toolset bounded by that root."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mcp_tools.budget import Spill
from mcp_tools.disk import DiskWorkspace
from mcp_tools.paths import PathPolicy
from mcp_tools.tool_context import ToolContext, child_environment

if TYPE_CHECKING:
    from mcp_tools.toolkit import Toolset

SECRET = "TOP-SECRET-OUTSIDE-CONTENT"


@dataclass(frozen=True)
class Sandbox:
    base: Path
    root: Path
    outside: Path
    sibling: Path
    home: Path

    def outside_snapshot(self) -> dict[str, bytes]:
        """Every file outside the root, with its bytes: a write that escaped would show up here."""
        found: dict[str, bytes] = {}
        for folder in (self.outside, self.sibling, self.base):
            for path in sorted(folder.rglob("*") if folder != self.base else folder.glob("*")):
                if path.is_file() and not path.is_symlink():
                    found[str(path)] = path.read_bytes()
        return found


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e.x", "GIT_COMMITTER_NAME": "T"}
    env["GIT_COMMITTER_EMAIL"] = "t@e.x"
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    base = tmp_path.resolve()
    root, outside, sibling = base / "repo", base / "outside", base / "repo-evil"
    for folder in (root, outside, sibling, root / "sub"):
        folder.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (sibling / "secret.txt").write_text(SECRET)
    (root / "hello.py").write_text("print('hello')\n")
    (root / "sub" / "notes.md").write_text("# notes\n")
    os.symlink(outside, root / "link_out")
    os.symlink(outside / "secret.txt", root / "link_file")
    os.symlink("../outside/secret.txt", root / "link_rel_out")
    os.symlink(outside / "not-yet.txt", root / "dangling_link")
    os.symlink(root / "link_out", root / "chain_link")
    os.symlink("..", root / "link_parent")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "hello.py", "sub/notes.md")
    git(root, "commit", "-q", "-m", "first")
    return Sandbox(base=base, root=root, outside=outside, sibling=sibling, home=base / "home")


@pytest.fixture
async def toolset(sandbox: Sandbox) -> AsyncIterator[Toolset]:
    from mcp_tools.toolkit import ToolOptions, open_toolset

    tools = open_toolset(ToolOptions(roots=[sandbox.root], home=sandbox.home, secrets=("sk-test-secret",)))
    try:
        yield tools
    finally:
        await tools.aclose()


@pytest.fixture
def tool_ctx(sandbox: Sandbox) -> ToolContext:
    """A context over the sandbox's root, the spill folder as an extra read-only root."""
    spill = Spill(sandbox.home / "spill")
    spill.folder.mkdir(parents=True)
    policy = PathPolicy.of([sandbox.root], read_only_roots=[spill.folder])
    env = child_environment({"PATH": os.environ["PATH"], "HOME": str(sandbox.home)})
    return ToolContext(base_policy=policy, spill=spill, workspace=DiskWorkspace(), child_env=env)
