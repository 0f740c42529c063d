"""M2's file changes as LSP workspace edits: the smallest replacement, labelled so the user can review it."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from lsp.text import LineIndex

__all__ = ["EditSupport", "Replacement", "smallest_replacement", "workspace_edit"]

ANNOTATION_ID = "m2bridge"


@dataclass(frozen=True)
class EditSupport:
    """What the client's `workspace.workspaceEdit` capability allows."""

    document_changes: bool = False
    create_files: bool = False
    annotations: bool = False

    @classmethod
    def of(cls, capabilities: types.ClientCapabilities | None) -> EditSupport:
        workspace = capabilities.workspace if capabilities else None
        edit = workspace.workspace_edit if workspace else None
        if edit is None:
            return cls()
        changes = bool(edit.document_changes)
        operations = edit.resource_operations or []
        return cls(
            document_changes=changes,
            create_files=changes and types.ResourceOperationKind.Create in operations,
            annotations=changes and edit.change_annotation_support is not None,
        )


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    text: str


def smallest_replacement(old: str, new: str) -> Replacement | None:
    """One replacement turning `old` into `new`, as small as a common prefix and suffix allow (so the
    cursor, folds and undo history outside it stay put). None when nothing changes."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    # Never split a \r\n pair: the position between them is not a position in LSP.
    if prefix and old[prefix - 1] == "\r" and prefix < len(old) and old[prefix] == "\n":
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if suffix and old[len(old) - suffix] == "\n" and len(old) - suffix > prefix and old[-suffix - 1] == "\r":
        suffix -= 1
    return Replacement(prefix, len(old) - suffix, new[prefix : len(new) - suffix])


def workspace_edit(
    *,
    uri: str,
    version: int | None,
    old: str,
    new: str,
    create: bool,
    encoding: str,
    support: EditSupport,
    label: str,
    description: str,
) -> types.WorkspaceEdit:
    """The edit for one file; `version` pins an open buffer so the editor refuses it if the user typed."""
    change = smallest_replacement(old, new) or Replacement(0, 0, "")
    index = LineIndex(old)
    start = types.Position(*index.position(change.start, encoding))
    end = types.Position(*index.position(change.end, encoding))
    span = types.Range(start=start, end=end)
    if not support.document_changes:
        return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=span, new_text=change.text)]})
    text_edit: types.TextEdit | types.AnnotatedTextEdit
    annotations: dict[str, types.ChangeAnnotation] | None = None
    if support.annotations:
        text_edit = types.AnnotatedTextEdit(range=span, new_text=change.text, annotation_id=ANNOTATION_ID)
        annotations = {
            ANNOTATION_ID: types.ChangeAnnotation(
                label=label, description=description, needs_confirmation=False
            )
        }
    else:
        text_edit = types.TextEdit(range=span, new_text=change.text)
    document = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=[text_edit],
    )
    operations: list[types.TextDocumentEdit | types.CreateFile] = []
    if create:
        operations.append(
            types.CreateFile(
                uri=uri,
                options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True),
                annotation_id=ANNOTATION_ID if support.annotations else None,
            )
        )
    operations.append(document)
    return types.WorkspaceEdit(document_changes=operations, change_annotations=annotations)
