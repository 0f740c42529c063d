"""M2's edits inside an editor: applied through workspace/applyEdit, saved only when that cannot lose the
user's unsaved work, reported to M2 when refused, and never retried or written behind the editor's back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env
from tests.support.lsp_editor import APP, editor_session, make_project
from tests.support.sent import tool_results

EDIT = {"path": "app.py", "old_string": "return 1", "new_string": "return 2"}


def script_one_edit(fake: Any, edit: dict[str, Any] = EDIT) -> None:
    fake.script(
        CallTools([("edit_file", edit)], thinking="Change 1 to 2."),
        Reply("Done.", thinking="The edit went through or not; say so."),
    )


async def test_edit_to_a_clean_buffer_is_applied_in_the_editor_then_saved(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env) as editor:
        editor.open("app.py")
        answer = await editor.chat("make answer return 2")
        buffer = editor.text_of("app.py")

    assert answer["stopReason"] == "end_turn"
    assert buffer == APP.replace("return 1", "return 2")
    assert (repo / "app.py").read_text() == buffer
    [edit] = editor.edits
    [change] = edit.edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 1  # pinned to the buffer M2 read
    [text_edit] = change.edits
    # The smallest replacement, labelled for review.
    assert text_edit.new_text == "2"
    assert isinstance(text_edit, types.AnnotatedTextEdit)
    assert edit.edit.change_annotations and edit.edit.change_annotations[text_edit.annotation_id].label
    assert editor.save_requests == [[editor.uri("app.py")]]
    assert any("Applied in the editor and saved" in r for r in tool_results(fake_minimax.requests[1]))
    # edit_file is destructive: the user was asked first.
    assert len(editor.questions) == 1 and "edit_file" in editor.questions[0].message


async def test_edit_to_a_buffer_with_unsaved_changes_is_applied_but_never_saved(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env) as editor:
        editor.open("app.py")
        editor.type_text("app.py", 5, 12, "  # the user's unsaved note")
        await editor.chat("make answer return 2")
        buffer = editor.text_of("app.py")

    assert "return 2" in buffer and "the user's unsaved note" in buffer
    assert (repo / "app.py").read_text() == APP  # the disk is untouched
    assert editor.save_requests == []
    told = " ".join(tool_results(fake_minimax.requests[1]))
    assert "not saved" in told and "stale" in told


async def test_edit_to_a_file_not_open_goes_through_the_editor_and_is_saved(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env) as editor:
        await editor.chat("make answer return 2")

    [edit] = editor.edits
    [change] = edit.edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version is None
    assert (repo / "app.py").read_text() == APP.replace("return 1", "return 2")


async def test_rejected_edit_is_reported_to_m2_and_not_written_or_retried(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env) as editor:
        editor.apply_edits = False
        editor.open("app.py")
        answer = await editor.chat("make answer return 2")
        buffer = editor.text_of("app.py")

    assert answer["toolCalls"] == [{"name": "edit_file", "ok": False}]
    assert len(editor.edits) == 1
    assert buffer == APP and (repo / "app.py").read_text() == APP
    assert editor.save_requests == []
    told = " ".join(tool_results(fake_minimax.requests[1]))
    assert "did not apply" in told and "the user rejected the edit" in told


async def test_reads_see_unsaved_buffer_text_and_m2s_own_applied_edit(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Look."),
        CallTools([("edit_file", EDIT)], thinking="Edit."),
        CallTools([("read_file", {"path": "app.py"})], thinking="Check."),
        Reply("Checked.", thinking="Fine."),
    )
    async with editor_session(repo, env) as editor:
        editor.open("app.py")
        editor.type_text("app.py", 0, 0, "# unsaved header\n")
        await editor.chat("edit and check")

    first_read = tool_results(fake_minimax.requests[1])[-1]
    last_read = tool_results(fake_minimax.requests[3])[-1]
    assert "unsaved header" in first_read
    assert "unsaved header" in last_read and "return 2" in last_read


async def test_write_file_creates_a_new_file_through_the_editor(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("write_file", {"path": "pkg/new.py", "content": "X = 1\n"})], thinking="Create it."),
        Reply("Created.", thinking="Done."),
    )
    async with editor_session(repo, env) as editor:
        answer = await editor.chat("create pkg/new.py")

    assert answer["toolCalls"] == [{"name": "write_file", "ok": True}]
    [edit] = editor.edits
    changes = edit.edit.document_changes or []
    assert isinstance(changes[0], types.CreateFile)
    assert (repo / "pkg" / "new.py").read_text() == "X = 1\n"


async def test_without_m2_save_documents_the_server_writes_a_clean_file_itself(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env, offers_save=False) as editor:
        editor.open("app.py")
        await editor.chat("make answer return 2")

    assert editor.save_requests == []
    assert (repo / "app.py").read_text() == APP.replace("return 1", "return 2")
    assert any("written to disk" in r for r in tool_results(fake_minimax.requests[1]))


async def test_a_client_without_document_changes_gets_plain_text_edits(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    script_one_edit(fake_minimax)
    async with editor_session(repo, env, client_name="neovim@v0.7.0") as editor:
        editor.open("app.py")
        await editor.chat("make answer return 2")

    [edit] = editor.edits
    assert edit.edit.document_changes is None and edit.edit.change_annotations is None
    assert list((edit.edit.changes or {}).keys()) == [editor.uri("app.py")]
    assert (repo / "app.py").read_text() == APP.replace("return 1", "return 2")


async def test_an_edit_outside_the_workspace_is_refused_before_the_editor_hears_of_it(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    (repo / "link.py").symlink_to(outside)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools(
            [
                ("edit_file", {"path": "../outside.py", "old_string": "1", "new_string": "2"}),
                ("write_file", {"path": "link.py", "content": "SECRET = 3\n"}),
            ],
            thinking="Try to escape.",
        ),
        Reply("Refused.", thinking="Both were refused."),
    )
    async with editor_session(repo, env) as editor:
        editor.answer = "Allow for this session"
        answer = await editor.chat("edit outside")

    assert answer["toolCalls"] == [{"name": "edit_file", "ok": False}, {"name": "write_file", "ok": False}]
    assert editor.edits == []
    assert outside.read_text() == "SECRET = 1\n"
