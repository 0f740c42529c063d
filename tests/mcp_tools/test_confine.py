"""ripgrep confined by Landlock reads nothing outside the roots, even where its own walk is led outside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcp_tools.beneath import folder_descriptor, spawn_in
from mcp_tools.confine import confined_reads
from mcp_tools.repo.search import SearchTool
from mcp_tools.ripgrep import find_rg
from mcp_tools.tool_context import ToolContext
from tests.support.sandbox import SECRET, Sandbox

needs_landlock = pytest.mark.skipif(
    confined_reads(("/",), "/bin/sh") is None, reason="this kernel has no Landlock"
)


async def rg_in(root: Path, *args: str, reads_within: tuple[str, ...] | None) -> str:
    fd = folder_descriptor(str(root), (str(root),))
    try:
        env = {"PATH": os.environ["PATH"], "HOME": str(root.parent)}
        proc = await spawn_in(
            fd, str(root), [find_rg(), "--no-config", *args], env, reads_within=reads_within
        )
    finally:
        os.close(fd)
    out, _ = await proc.communicate()
    return out.decode()


@needs_landlock
async def test_a_confined_ripgrep_told_to_follow_symlinks_still_reads_nothing_outside(
    sandbox: Sandbox,
) -> None:
    # -L follows the sandbox's links to the outside folder: what a swapped folder does to rg's walk.
    unconfined = await rg_in(sandbox.root, "-L", SECRET, ".", reads_within=None)
    assert SECRET in unconfined, "the attack needs rg to reach outside when it is not confined"
    confined = await rg_in(
        sandbox.root, "-L", "--no-messages", SECRET, ".", reads_within=(str(sandbox.root),)
    )
    assert SECRET not in confined
    inside = await rg_in(sandbox.root, "-L", "hello", ".", reads_within=(str(sandbox.root),))
    assert "./hello.py:print('hello')" in inside


@needs_landlock
async def test_search_still_honours_an_ignore_file_above_the_root(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.base / ".ignore").write_text("*.skip\n")
    (sandbox.root / "kept.txt").write_text("needle\n")
    (sandbox.root / "dropped.skip").write_text("needle\n")
    outcome = await SearchTool(tool_ctx).call({"pattern": "needle"})
    assert "kept.txt:1: needle" in outcome.content
    assert "dropped.skip" not in outcome.content
