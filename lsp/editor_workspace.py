"""Files as tools see them inside an editor: reads see unsaved buffers, writes become `workspace/applyEdit`.

The design's rule for edits: the edit is applied by the editor (labelled, so the user can review and undo
it); a file that had no unsaved changes is saved afterwards so tests and git see M2's work; a buffer with
the user's unsaved changes is never saved behind their back, and M2 is told its disk copy is stale. An
edit the editor refuses is reported to M2 and never written to disk instead.
"""

from __future__ import annotations

import os
from typing import Protocol

from lsprotocol import types

from lsp.buffers import Buffers, disk_text, real_path_of
from lsp.edits import EditSupport, workspace_edit
from mcp_tools.disk import DiskWorkspace
from mcp_tools.failure import ToolFailure

__all__ = ["EditorPort", "EditorWorkspace"]


class EditorPort(Protocol):
    """The few things the workspace asks of the editor; the language server implements them."""

    @property
    def edit_support(self) -> EditSupport: ...

    @property
    def position_encoding(self) -> str: ...

    async def apply_edit(self, edit: types.WorkspaceEdit, label: str) -> tuple[bool, str | None]:
        """(applied, the editor's reason when not)."""
        ...

    async def save_documents(self, uris: list[str]) -> list[str] | None:
        """The URIs the editor saved, or None when it does not offer `m2/saveDocuments`."""
        ...


class EditorWorkspace:
    def __init__(self, roots: tuple[str, ...], buffers: Buffers, editor: EditorPort) -> None:
        self._disk = DiskWorkspace(roots)
        self._buffers = buffers
        self._editor = editor

    @property
    def roots(self) -> tuple[str, ...]:
        return self._disk.roots

    async def read_text(self, path: str) -> str:
        text = self._buffers.text(path)
        return text if text is not None else await self._disk.read_text(path)

    async def list_dir(self, path: str) -> list[str]:
        return await self._disk.list_dir(path)

    async def write_text(self, path: str, text: str) -> str | None:
        on_disk = disk_text(path)
        buffer = self._buffers.get(path)
        before = buffer.text if buffer is not None else self._buffers.text(path)
        if before is None:
            before = on_disk if on_disk is not None else ""
        users_changes = buffer is not None and buffer.text != on_disk
        support = self._editor.edit_support
        creating = buffer is None and on_disk is None and not _exists(path)
        if creating and not support.create_files:
            # No buffer can hold unsaved work for a file that does not exist yet.
            await self._disk.write_text(path, text)
            return "Created on disk: this editor cannot create files through edits."
        uri = buffer.uri if buffer is not None else self._buffers.uri_for(path)
        edit = workspace_edit(
            uri=uri,
            version=buffer.version if buffer is not None else None,
            old=before,
            new=text,
            create=creating,
            encoding=self._editor.position_encoding,
            support=support,
            label="M2 edit",
            description=path,
        )
        applied, reason = await self._editor.apply_edit(edit, f"M2's edit of {path}")
        if not applied:
            why = f" ({reason})" if reason else ""
            raise ToolFailure(
                f"The editor did not apply this edit{why}; nothing was changed. If the user rejected it, "
                "do not try again unless they ask; if the file changed meanwhile, read it again first."
            )
        self._buffers.expect(path, text)
        if users_changes:
            return (
                "Applied in the editor but not saved: the buffer holds the user's unsaved changes, so the "
                "copy on disk is stale (commands, tests and git see the old text until the user saves)."
            )
        saved = await self._editor.save_documents([uri])
        if saved is None:
            await self._disk.write_text(path, text)
            self._buffers.settled(path)
            return "Applied in the editor and written to disk."
        if path in {real_path_of(u) for u in saved}:
            self._buffers.settled(path)
            return "Applied in the editor and saved."
        return (
            "Applied in the editor, but the editor did not save it: the copy on disk is stale "
            "(commands, tests and git see the old text until it is saved)."
        )


def _exists(path: str) -> bool:
    return os.path.lexists(path)
