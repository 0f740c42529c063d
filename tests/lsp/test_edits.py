"""M2's file changes as LSP workspace edits (lsp/edits.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from lsprotocol.converters import get_converter

from lsp.edits import EditSupport, Replacement, smallest_replacement, workspace_edit
from lsp.text import LineIndex

ENCODINGS = ("utf-8", "utf-16", "utf-32")
PIECES = ("a", "b", "\r", "\n", "\r\n", "é", "😀", "\u2028")
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
URI = "file:///project/main.py"

ALL_SUPPORT = EditSupport(document_changes=True, create_files=True, annotations=True)


def apply(old: str, change: Replacement) -> str:
    return old[: change.start] + change.text + old[change.end :]


def between_cr_and_lf(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


def client_offset(text: str, position: types.Position, encoding: str) -> int:
    """How an editor finds a position in its buffer: written apart from lsp.text, to check it."""
    pieces = re.split(r"(\r\n|\r|\n)", text)
    bodies, breaks = pieces[0::2], pieces[1::2]
    offset = sum(len(b) for b in bodies[: position.line]) + sum(len(b) for b in breaks[: position.line])
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    used = 0
    for char in bodies[position.line]:
        if used >= position.character:
            break
        used += len(char.encode(codec)) // width
        offset += 1
    return offset


def client_applies(old: str, edit: types.TextEdit | types.AnnotatedTextEdit, encoding: str) -> str:
    start = client_offset(old, edit.range.start, encoding)
    end = client_offset(old, edit.range.end, encoding)
    return old[:start] + edit.new_text + old[end:]


def only_text_edit(edit: types.WorkspaceEdit) -> types.TextEdit | types.AnnotatedTextEdit:
    if edit.changes is not None:
        [edits] = edit.changes.values()
        [text_edit] = edits
        return text_edit
    assert edit.document_changes is not None
    [document] = [d for d in edit.document_changes if isinstance(d, types.TextDocumentEdit)]
    [text_edit] = document.edits
    assert isinstance(text_edit, types.TextEdit | types.AnnotatedTextEdit)
    return text_edit


@given(old=texts, new=texts)
def test_applying_the_smallest_replacement_to_the_old_text_gives_the_new(old: str, new: str) -> None:
    change = smallest_replacement(old, new)
    if old == new:
        assert change is None
        return
    assert change is not None
    assert 0 <= change.start <= change.end <= len(old)
    assert apply(old, change) == new


@given(old=texts, new=texts)
def test_the_smallest_replacement_starts_and_ends_at_real_lsp_positions(old: str, new: str) -> None:
    change = smallest_replacement(old, new)
    if change is None:
        return
    index = LineIndex(old)
    for offset in (change.start, change.end):
        assert not between_cr_and_lf(old, offset)
        for encoding in ENCODINGS:
            assert index.offset(*index.position(offset, encoding), encoding) == offset


@given(
    old=texts,
    new=texts,
    encoding=st.sampled_from(ENCODINGS),
    support=st.sampled_from([EditSupport(), EditSupport(document_changes=True), ALL_SUPPORT]),
)
def test_an_editor_applying_the_workspace_edit_gets_the_new_text(
    old: str, new: str, encoding: str, support: EditSupport
) -> None:
    edit = workspace_edit(
        uri=URI,
        version=1,
        old=old,
        new=new,
        create=False,
        encoding=encoding,
        support=support,
        label="M2",
        description="d",
    )
    assert client_applies(old, only_text_edit(edit), encoding) == new


@pytest.mark.parametrize(
    ("old", "new"),
    [("x\r\ny", "x\ry"), ("x\r\ny", "x\n\ny"), ("x\r\ny", "x\rz\ny"), ("x\r\n", "x\r"), ("\r\n", "\n")],
)
def test_smallest_replacement_never_splits_a_crlf_pair(old: str, new: str) -> None:
    change = smallest_replacement(old, new)
    assert change is not None
    assert not between_cr_and_lf(old, change.start)
    assert not between_cr_and_lf(old, change.end)
    assert apply(old, change) == new


def test_smallest_replacement_keeps_the_common_prefix_and_suffix() -> None:
    assert smallest_replacement("hello world", "hello there world") == Replacement(6, 6, "there ")
    assert smallest_replacement("abc", "aXc") == Replacement(1, 2, "X")
    assert smallest_replacement("abc", "") == Replacement(0, 3, "")


def test_smallest_replacement_of_equal_texts_is_none() -> None:
    assert smallest_replacement("same\r\n", "same\r\n") is None


@pytest.mark.parametrize(("encoding", "column"), [("utf-16", 2), ("utf-32", 1), ("utf-8", 4)])
def test_a_column_after_an_emoji_is_counted_in_the_negotiated_encoding(encoding: str, column: int) -> None:
    edit = workspace_edit(
        uri=URI,
        version=None,
        old="first\n😀x\n",
        new="first\n😀y\n",
        create=False,
        encoding=encoding,
        support=EditSupport(),
        label="M2",
        description="d",
    )
    text_edit = only_text_edit(edit)
    assert text_edit.range == types.Range(
        start=types.Position(line=1, character=column), end=types.Position(line=1, character=column + 1)
    )
    assert text_edit.new_text == "y"


def test_a_client_without_document_changes_gets_plain_changes() -> None:
    edit = workspace_edit(
        uri=URI,
        version=4,
        old="a",
        new="b",
        create=False,
        encoding="utf-16",
        support=EditSupport(),
        label="M2",
        description="d",
    )
    assert edit.document_changes is None and edit.change_annotations is None
    assert edit.changes is not None
    [text_edit] = edit.changes[URI]
    assert type(text_edit) is types.TextEdit


def test_the_version_is_pinned_so_the_editor_refuses_the_edit_after_the_user_typed() -> None:
    edit = workspace_edit(
        uri=URI,
        version=7,
        old="a",
        new="b",
        create=False,
        encoding="utf-16",
        support=EditSupport(document_changes=True),
        label="M2",
        description="d",
    )
    assert edit.changes is None and edit.document_changes is not None
    [document] = edit.document_changes
    assert isinstance(document, types.TextDocumentEdit)
    assert document.text_document == types.OptionalVersionedTextDocumentIdentifier(uri=URI, version=7)
    [text_edit] = document.edits
    assert type(text_edit) is types.TextEdit
    assert edit.change_annotations is None


def test_a_client_with_annotation_support_gets_a_labelled_edit_that_needs_no_confirmation() -> None:
    edit = workspace_edit(
        uri=URI,
        version=2,
        old="a",
        new="b",
        create=False,
        encoding="utf-16",
        support=ALL_SUPPORT,
        label="M2: fix typo",
        description="why it changed",
    )
    text_edit = only_text_edit(edit)
    assert isinstance(text_edit, types.AnnotatedTextEdit)
    assert edit.change_annotations is not None
    annotation = edit.change_annotations[text_edit.annotation_id]
    assert annotation.label == "M2: fix typo"
    assert annotation.description == "why it changed"
    assert annotation.needs_confirmation is False


def test_a_create_edit_starts_with_a_create_file_that_never_overwrites() -> None:
    edit = workspace_edit(
        uri=URI,
        version=None,
        old="",
        new="print(1)\n",
        create=True,
        encoding="utf-16",
        support=ALL_SUPPORT,
        label="M2",
        description="d",
    )
    assert edit.document_changes is not None
    create, document = edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri == URI
    assert create.options is not None and create.options.overwrite is False
    assert isinstance(document, types.TextDocumentEdit)
    assert document.text_document.version is None
    [text_edit] = document.edits
    assert text_edit.range == types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    assert text_edit.new_text == "print(1)\n"


def test_a_create_edit_serialises_with_the_create_operation_first() -> None:
    edit = workspace_edit(
        uri=URI,
        version=None,
        old="",
        new="x",
        create=True,
        encoding="utf-16",
        support=ALL_SUPPORT,
        label="M2",
        description="d",
    )
    wire = get_converter().unstructure(edit)
    assert [change.get("kind") for change in wire["documentChanges"]] == ["create", None]
    assert wire["documentChanges"][0]["options"]["overwrite"] is False


def test_edit_support_of_no_capabilities_is_the_plainest_edit() -> None:
    assert EditSupport.of(None) == EditSupport()
    assert EditSupport.of(types.ClientCapabilities()) == EditSupport()


def workspace_capabilities(**edit: object) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(**edit)  # type: ignore[arg-type]
        )
    )


def test_edit_support_reads_document_changes_create_and_annotations() -> None:
    capabilities = workspace_capabilities(
        document_changes=True,
        resource_operations=[types.ResourceOperationKind.Create, types.ResourceOperationKind.Rename],
        change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True),
    )
    assert EditSupport.of(capabilities) == ALL_SUPPORT


def test_create_and_annotations_need_document_changes_too() -> None:
    capabilities = workspace_capabilities(
        document_changes=False,
        resource_operations=[types.ResourceOperationKind.Create],
        change_annotation_support=types.ChangeAnnotationsSupportOptions(),
    )
    assert EditSupport.of(capabilities) == EditSupport()


def test_document_changes_without_create_does_not_allow_creating_files() -> None:
    capabilities = workspace_capabilities(
        document_changes=True, resource_operations=[types.ResourceOperationKind.Delete]
    )
    assert EditSupport.of(capabilities) == EditSupport(document_changes=True)
