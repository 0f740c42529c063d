from __future__ import annotations

import codecs
import os
import stat

from mcp_tools.repo.files import EditFile, ReadFile, WriteFile
from mcp_tools.tool_context import ToolContext
from tests.support.sandbox import Sandbox


async def test_read_file_numbers_lines_and_pages_with_offset_and_limit(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / "long.txt").write_text("".join(f"line {n}\n" for n in range(1, 101)))
    outcome = await ReadFile(tool_ctx).call({"path": "long.txt", "offset": 10, "limit": 3})
    assert not outcome.is_error
    assert outcome.content.splitlines() == [
        "    10\tline 10",
        "    11\tline 11",
        "    12\tline 12",
        "[lines 10-12 of 100; continue with offset=13]",
    ]


async def test_read_file_keeps_within_the_output_budget(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "wide.txt").write_text(("x" * 1000 + "\n") * 200)
    outcome = await ReadFile(tool_ctx).call({"path": "wide.txt"})
    assert len(outcome.content) <= tool_ctx.budget + 200
    assert "continue with offset=" in outcome.content


async def test_read_file_refuses_binary_files(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    outcome = await ReadFile(tool_ctx).call({"path": "blob.bin"})
    assert outcome.is_error and "binary" in outcome.content


async def test_read_file_decodes_utf16_and_legacy_encodings(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "u16.txt").write_bytes(codecs.BOM_UTF16_LE + "héllo\n".encode("utf-16-le"))
    (sandbox.root / "cp.txt").write_bytes("café\n".encode("cp1252"))
    assert "héllo" in (await ReadFile(tool_ctx).call({"path": "u16.txt"})).content
    assert "café" in (await ReadFile(tool_ctx).call({"path": "cp.txt"})).content


async def test_read_file_pages_through_a_spilled_output_larger_than_memory_limit(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    spilled = tool_ctx.spill.new_path("big")
    with open(spilled, "w") as out:
        for n in range(1, 400_001):
            out.write(f"row {n:06d} " + "y" * 80 + "\n")
    assert spilled.stat().st_size > 32 * 1024 * 1024
    outcome = await ReadFile(tool_ctx).call({"path": str(spilled), "offset": 399_999, "limit": 5})
    assert not outcome.is_error, outcome.content
    assert "row 399999" in outcome.content and "row 400000" in outcome.content


async def test_read_file_refuses_a_folder_with_a_hint(tool_ctx: ToolContext) -> None:
    outcome = await ReadFile(tool_ctx).call({"path": "sub"})
    assert outcome.is_error and "list_dir" in outcome.content


async def test_read_file_rejects_unknown_arguments_clearly(tool_ctx: ToolContext) -> None:
    outcome = await ReadFile(tool_ctx).call({"path": "hello.py", "bogus": 1})
    assert outcome.is_error and "bogus" in outcome.content


async def test_write_file_creates_parents_and_replaces_atomically(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    outcome = await WriteFile(tool_ctx).call({"path": "new/deep/file.txt", "content": "one\n"})
    assert not outcome.is_error and "created" in outcome.content
    assert (sandbox.root / "new/deep/file.txt").read_text() == "one\n"
    outcome = await WriteFile(tool_ctx).call({"path": "new/deep/file.txt", "content": "two\n"})
    assert "replaced" in outcome.content
    assert (sandbox.root / "new/deep/file.txt").read_text() == "two\n"
    assert not [p for p in (sandbox.root / "new/deep").iterdir() if p.name.endswith(".m2tmp")]


async def test_write_file_refuses_to_create_folders_through_a_symlink_out(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    outcome = await WriteFile(tool_ctx).call({"path": "link_out/made/here.txt", "content": "x"})
    assert outcome.is_error
    assert not (sandbox.outside / "made").exists()


async def test_write_file_refuses_the_read_only_spill_folder(tool_ctx: ToolContext) -> None:
    target = tool_ctx.spill.folder / "planted.txt"
    outcome = await WriteFile(tool_ctx).call({"path": str(target), "content": "x"})
    assert outcome.is_error and "read-only" in outcome.content
    assert not target.exists()


async def test_edit_file_replaces_a_unique_match_and_returns_a_diff(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    outcome = await EditFile(tool_ctx).call(
        {"path": "hello.py", "old_string": "print('hello')", "new_string": "print('bye')"}
    )
    assert not outcome.is_error, outcome.content
    assert "-print('hello')" in outcome.content and "+print('bye')" in outcome.content
    assert (sandbox.root / "hello.py").read_text() == "print('bye')\n"


async def test_edit_file_refuses_an_ambiguous_match_unless_replace_all(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / "dup.txt").write_text("a\na\nb\n")
    outcome = await EditFile(tool_ctx).call({"path": "dup.txt", "old_string": "a", "new_string": "z"})
    assert outcome.is_error and "2 times" in outcome.content
    assert (sandbox.root / "dup.txt").read_text() == "a\na\nb\n"
    outcome = await EditFile(tool_ctx).call(
        {"path": "dup.txt", "old_string": "a", "new_string": "z", "replace_all": True}
    )
    assert not outcome.is_error
    assert (sandbox.root / "dup.txt").read_text() == "z\nz\nb\n"


async def test_edit_file_reports_a_missing_match_and_changes_nothing(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    outcome = await EditFile(tool_ctx).call({"path": "hello.py", "old_string": "nope", "new_string": "x"})
    assert outcome.is_error and "not found" in outcome.content
    assert (sandbox.root / "hello.py").read_text() == "print('hello')\n"


async def test_edit_file_keeps_crlf_bom_and_permissions(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    path = sandbox.root / "win.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"first\r\nsecond\r\nthird\r\n")
    os.chmod(path, 0o751)
    outcome = await EditFile(tool_ctx).call(
        {"path": "win.txt", "old_string": "first\nsecond", "new_string": "1st\n2nd"}
    )
    assert not outcome.is_error, outcome.content
    assert path.read_bytes() == codecs.BOM_UTF8 + b"1st\r\n2nd\r\nthird\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


async def test_edit_file_keeps_a_legacy_encoding(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    path = sandbox.root / "legacy.txt"
    path.write_bytes("prix: 5 €\n".encode("cp1252"))
    outcome = await EditFile(tool_ctx).call({"path": "legacy.txt", "old_string": "5", "new_string": "6"})
    assert not outcome.is_error
    assert path.read_bytes() == "prix: 6 €\n".encode("cp1252")


async def test_edit_file_refuses_a_planted_symlink_even_inside_the_root(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    os.symlink(sandbox.root / "hello.py", sandbox.root / "alias.py")
    outcome = await EditFile(tool_ctx).call({"path": "alias.py", "old_string": "hello", "new_string": "x"})
    assert outcome.is_error and "symlink" in outcome.content
    assert (sandbox.root / "hello.py").read_text() == "print('hello')\n"
