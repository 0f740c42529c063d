"""`m2bridge acp` with an editor that offers files: reads see its unsaved buffers (`fs/read_text_file`),
writes go through it (`fs/write_text_file`), each capability on its own; without them the disk. The path
policy refuses a path outside the session's folder before any request reaches the editor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from acp import text_block
from acp.schema import AllowedOutcome, ClientCapabilities, FileSystemCapabilities, RequestPermissionResponse

from tests.fakes.minimax import CallTools, Reply
from tests.support.acp_editor import EVERYTHING, Editor, acp_editor
from tests.support.env import m2_env, make_project
from tests.support.sent import tool_results

ALLOW = RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id="allow_always"))


async def one_turn(editor: Editor, repo: Path, capabilities: ClientCapabilities) -> str:
    """Initialize with `capabilities`, open a session in `repo`, run one prompt; the session id."""
    await editor.initialize(capabilities)
    session_id = (await editor.conn.new_session(cwd=str(repo), mcp_servers=[])).session_id
    editor.client.permission = ALLOW
    await editor.conn.prompt(session_id=session_id, prompt=[text_block("go")])
    return session_id


def results(fake: Any, request: int = 1) -> list[str]:
    return [json.loads(r) if r.startswith('"') else r for r in tool_results(fake.requests[request])]


async def test_read_file_sees_the_editors_unsaved_buffer(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    app = str(repo.resolve() / "app.py")
    fake_minimax.script(CallTools([("read_file", {"path": "app.py"})]), Reply("Read."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[app] = "def answer():\n    return 42  # unsaved\n"
        session_id = await one_turn(editor, repo, EVERYTHING)

    (result,) = results(fake_minimax)
    assert "return 42  # unsaved" in result and "return 1" not in result
    assert editor.client.asked("fs/read_text_file") == [("fs/read_text_file", session_id, app)]


async def test_a_new_unsaved_buffer_that_is_not_on_disk_can_be_read(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    draft = str(repo.resolve() / "draft.md")
    fake_minimax.script(CallTools([("read_file", {"path": "draft.md"})]), Reply("Read."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[draft] = "# Only in the editor\n"
        await one_turn(editor, repo, EVERYTHING)

    (result,) = results(fake_minimax)
    assert "# Only in the editor" in result
    assert not Path(draft).exists()


async def test_write_file_goes_through_the_editor_when_it_offers_fs(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    notes = str(repo.resolve() / "notes.txt")
    fake_minimax.script(
        CallTools([("write_file", {"path": "notes.txt", "content": "hello\n"})]), Reply("Written.")
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        session_id = await one_turn(editor, repo, EVERYTHING)

    assert editor.client.asked("fs/write_text_file") == [("fs/write_text_file", session_id, notes, "hello\n")]
    assert Path(notes).read_text() == "hello\n"  # written by the stand-in editor
    (result,) = results(fake_minimax)
    assert "Written through the editor." in result


async def test_edit_file_edits_the_unsaved_buffer_and_writes_through_the_editor(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    app = str(repo.resolve() / "app.py")
    edit = {"path": "app.py", "old_string": "return 42", "new_string": "return 43"}
    fake_minimax.script(CallTools([("edit_file", edit)]), Reply("Edited."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[app] = "def answer():\n    return 42\n"
        await one_turn(editor, repo, EVERYTHING)

    ((_, _, path, content),) = editor.client.asked("fs/write_text_file")
    assert path == app and content == "def answer():\n    return 43\n"
    assert editor.client.buffers[app] == content
    (result,) = results(fake_minimax)
    assert "-    return 42" in result and "+    return 43" in result


async def test_without_fs_capabilities_the_tools_use_the_disk(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools(
            [("read_file", {"path": "app.py"}), ("write_file", {"path": "notes.txt", "content": "disk\n"})]
        ),
        Reply("Done."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[str(repo.resolve() / "app.py")] = "not what the disk holds\n"
        await one_turn(editor, repo, ClientCapabilities())

    assert editor.client.requests == []
    assert (repo / "notes.txt").read_text() == "disk\n"
    read, written = results(fake_minimax)
    assert "return 1" in read and "Written through the editor" not in written


async def test_each_fs_capability_counts_on_its_own(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    app = str(repo.resolve() / "app.py")
    fake_minimax.script(
        CallTools(
            [("read_file", {"path": "app.py"}), ("write_file", {"path": "notes.txt", "content": "disk\n"})]
        ),
        Reply("Done."),
    )
    reads_only = ClientCapabilities(fs=FileSystemCapabilities(read_text_file=True, write_text_file=False))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[app] = "from the buffer\n"
        await one_turn(editor, repo, reads_only)

    assert [r[0] for r in editor.client.requests] == ["fs/read_text_file"]
    assert (repo / "notes.txt").read_text() == "disk\n"
    read, _ = results(fake_minimax)
    assert "from the buffer" in read


async def test_paths_leaving_the_folder_are_refused_before_any_fs_request(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (repo / "escape").symlink_to(tmp_path)
    attempts = [
        ("read_file", {"path": "../outside.txt"}),
        ("read_file", {"path": str(outside)}),
        ("read_file", {"path": "escape/outside.txt"}),
        ("write_file", {"path": "../outside.txt", "content": "owned\n"}),
        ("write_file", {"path": str(outside), "content": "owned\n"}),
        ("write_file", {"path": "escape/outside.txt", "content": "owned\n"}),
        ("edit_file", {"path": "escape/outside.txt", "old_string": "secret", "new_string": "owned"}),
    ]
    fake_minimax.script(CallTools(attempts), Reply("Refused."))
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.buffers[str(outside)] = "secret from the buffer\n"
        await one_turn(editor, repo, EVERYTHING)

    assert editor.client.requests == []
    assert outside.read_text() == "secret\n"
    found = results(fake_minimax)
    assert len(found) == len(attempts)
    assert all("outside the allowed roots" in r and "secret" not in r for r in found), found


async def test_a_write_the_editor_refuses_reaches_m2_and_the_disk_is_unchanged(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    edit = {"path": "app.py", "old_string": "return 1", "new_string": "return 2"}
    fake_minimax.script(
        CallTools([("edit_file", edit), ("write_file", {"path": "new.txt", "content": "x\n"})]),
        Reply("It was refused."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        editor.client.refuse_writes = "the user rejected the change"
        await one_turn(editor, repo, EVERYTHING)

    assert len(editor.client.asked("fs/write_text_file")) == 2
    assert (repo / "app.py").read_text() == "def answer():\n    return 1\n"
    assert not (repo / "new.txt").exists()
    for result in results(fake_minimax):
        assert "the editor did not write it" in result and "the user rejected the change" in result
        assert "nothing was changed" in result
