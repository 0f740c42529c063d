from __future__ import annotations

from mcp_tools.repo.listing import FindFiles, ListDir
from mcp_tools.tool_context import ToolContext
from tests.support.sandbox import Sandbox


async def test_list_dir_shows_a_tree_to_the_requested_depth(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "sub" / "deeper").mkdir()
    (sandbox.root / "sub" / "deeper" / "x.txt").write_text("x")
    shallow = (await ListDir(tool_ctx).call({})).content.splitlines()
    assert "sub/" in shallow and "hello.py" in shallow
    assert not any("notes.md" in line for line in shallow)
    deep = (await ListDir(tool_ctx).call({"depth": 3})).content
    assert "  notes.md" in deep and "    x.txt" in deep


async def test_list_dir_hides_gitignored_files_and_the_git_folder(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / ".gitignore").write_text("build/\n*.log\n")
    (sandbox.root / "build").mkdir()
    (sandbox.root / "build" / "out.o").write_text("o")
    (sandbox.root / "debug.log").write_text("l")
    listing = (await ListDir(tool_ctx).call({"depth": 2})).content
    assert "build" not in listing and "debug.log" not in listing and ".git/" not in listing
    everything = (await ListDir(tool_ctx).call({"depth": 2, "include_ignored": True})).content
    assert "build/" in everything and "debug.log" in everything


async def test_list_dir_shows_symlinks_without_descending_them(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    listing = (await ListDir(tool_ctx).call({"depth": 3})).content
    assert f"link_out -> {sandbox.outside}" in listing
    assert not any(line.strip() == "secret.txt" for line in listing.splitlines())


async def test_find_files_matches_globs_across_folders_and_honours_gitignore(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / ".gitignore").write_text("ignored.md\n")
    (sandbox.root / "ignored.md").write_text("i")
    (sandbox.root / "sub" / "more.md").write_text("m")
    found = (await FindFiles(tool_ctx).call({"pattern": "*.md"})).content.splitlines()
    assert found == ["sub/more.md", "sub/notes.md"]
    with_ignored = (await FindFiles(tool_ctx).call({"pattern": "*.md", "include_ignored": True})).content
    assert "ignored.md" in with_ignored


async def test_find_files_does_not_follow_symlinks_out_of_the_root(tool_ctx: ToolContext) -> None:
    outcome = await FindFiles(tool_ctx).call({"pattern": "**/secret.txt"})
    assert "no files match" in outcome.content


async def test_find_files_cuts_at_max_results_and_says_so(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    for n in range(30):
        (sandbox.root / f"f{n:02d}.txt").write_text("x")
    outcome = await FindFiles(tool_ctx).call({"pattern": "*.txt", "max_results": 10})
    lines = outcome.content.splitlines()
    assert lines[:10] == [f"f{n:02d}.txt" for n in range(10)]
    assert "20 more" in lines[-1]
