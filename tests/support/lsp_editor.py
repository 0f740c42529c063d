"""A scripted editor for end-to-end tests of `m2bridge lsp`: pytest-lsp's real LSP client over stdio, plus
the editor's side of what the server asks (apply an edit, save documents, answer a question).

It keeps its own copy of each open document, applies edits the way an editor would (checking the
version the server pinned), and tells the server of every change with didOpen/didChange, so the
server sees what a real editor would show it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, make_test_lsp_client

from tests.support import env

__all__ = ["APP", "Editor", "editor_session", "make_project", "plain"]


APP = "def answer():\n    return 1\n\n\ndef other():\n    return 3\n"


def make_project(tmp_path: Path) -> Path:
    return env.make_project(tmp_path, APP)


def plain(value: Any) -> Any:
    """pygls hands custom messages over as namedtuples; tests compare plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _offset(text: str, line: int, character: int) -> int:
    """An LSP position (UTF-16 columns) as an offset into `text`; written apart from the server's code."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(x) for x in lines[:line])
    body = lines[line] if line < len(lines) else ""
    units = 0
    for index, char in enumerate(body):
        if units >= character or char in "\r\n":
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(body)


@dataclass
class Document:
    uri: str
    text: str
    version: int


@dataclass
class Editor:
    client: LanguageClient
    root: Path
    documents: dict[str, Document] = field(default_factory=dict)
    # How the editor answers the server: apply edits or refuse them, which action to pick, save or not.
    apply_edits: bool = True
    answer: str | None = "Allow"
    save: bool = True
    edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    questions: list[types.ShowMessageRequestParams] = field(default_factory=list)
    save_requests: list[list[str]] = field(default_factory=list)
    deltas: list[dict[str, Any]] = field(default_factory=list)
    # m2/turnStarted, m2/chatDelta and m2/turnEnded in the order they arrived (a client offering m2Turns).
    turn_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    # The user's actions ---------------------------------------------------------------------------
    def open(self, name: str, text: str | None = None, language: str = "python") -> str:
        uri = self.uri(name)
        content = (self.root / name).read_text() if text is None else text
        self.documents[uri] = Document(uri, content, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=content)
            )
        )
        return uri

    def type_text(self, name: str, line: int, character: int, text: str) -> None:
        """Insert `text` at a position, as a keystroke would: the buffer now has unsaved changes."""
        self._change(self.uri(name), [types.TextEdit(range=_point(line, character), new_text=text)])

    def select(self, name: str, start: tuple[int, int], end: tuple[int, int]) -> None:
        span = {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        }
        self.client.protocol.notify("m2/selection", {"uri": self.uri(name), "range": span})

    def report_diagnostics(self, name: str, diagnostics: list[dict[str, Any]]) -> None:
        self.client.protocol.notify("m2/diagnostics", {"uri": self.uri(name), "diagnostics": diagnostics})

    async def chat(self, prompt: str, session_id: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"prompt": prompt}
        if session_id is not None:
            params["sessionId"] = session_id
        return plain(await self.client.protocol.send_request_async("m2/chat", params))

    async def request(self, method: str, params: Any = None) -> Any:
        return plain(await self.client.protocol.send_request_async(method, params))

    async def wait_for_delta(self, kind: str, seconds: float = 20.0) -> None:
        """Until an m2/chatDelta of `kind` arrived (bounded; the caller's assertions say what follows)."""
        for _ in range(int(seconds / 0.05)):
            if any(d["kind"] == kind for d in self.deltas):
                return
            await asyncio.sleep(0.05)

    def text_of(self, name: str) -> str:
        return self.documents[self.uri(name)].text

    # The editor's side of the server's requests ---------------------------------------------------
    def _change(self, uri: str, edits: list[types.TextEdit]) -> None:
        document = self.documents[uri]
        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            start = _offset(document.text, edit.range.start.line, edit.range.start.character)
            end = _offset(document.text, edit.range.end.line, edit.range.end.character)
            document.text = document.text[:start] + edit.new_text + document.text[end:]
            document.version += 1
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
                    ],
                )
            )

    def apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        self.edits.append(params)
        if not self.apply_edits:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="the user rejected the edit")
        for change in params.edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                self.open(Path(change.uri.removeprefix("file://")).relative_to(self.root).as_posix(), "")
                continue
            if not isinstance(change, types.TextDocumentEdit):
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="unsupported change")
            uri = change.text_document.uri
            if uri not in self.documents:
                # Like VS Code: a file not open is opened (from disk) to take the edit.
                self.open(Path(uri.removeprefix("file://")).relative_to(self.root).as_posix())
            document = self.documents[uri]
            pinned = change.text_document.version
            if pinned is not None and pinned != document.version:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
            self._change(uri, [types.TextEdit(range=e.range, new_text=e.new_text) for e in change.edits])
        for uri, edits in (params.edit.changes or {}).items():
            self._change(uri, list(edits))
        return types.ApplyWorkspaceEditResult(applied=True)

    def save_documents(self, uris: list[str]) -> dict[str, Any]:
        self.save_requests.append(uris)
        if not self.save:
            return {"saved": []}
        for uri in uris:
            Path(uri.removeprefix("file://")).write_text(self.documents[uri].text)
        return {"saved": uris}


def _point(line: int, character: int) -> types.Range:
    return types.Range(start=types.Position(line, character), end=types.Position(line, character))


def _tell_code_actions_from_commands(client: LanguageClient) -> None:
    """lsprotocol takes any result item with a `command` key for a Command, so a CodeAction that carries
    a command would be misread; editors tell them apart by the key's type (a Command's is a string)."""
    converter = client.protocol._converter

    def structure(item: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(item.get("command"), str) else types.CodeAction
        return converter.structure(item, kind)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


@asynccontextmanager
async def editor_session(
    root: Path,
    env: dict[str, str],
    *,
    client_name: str = "visual-studio-code",
    offers_save: bool = True,
    offers_turns: bool = False,
    initialization_options: Any = None,
    configuration: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> AsyncIterator[Editor]:
    """`m2bridge lsp` started as a subprocess in `root`, initialized like `client_name` would."""
    client = make_test_lsp_client()
    _tell_code_actions_from_commands(client)
    editor = Editor(client, root)
    if configuration is not None:
        client.set_configuration(configuration)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return editor.apply(params)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        editor.questions.append(params)
        return types.MessageActionItem(title=editor.answer) if editor.answer else None

    @client.feature("m2/saveDocuments")
    def save(params: Any) -> dict[str, Any]:
        return editor.save_documents(list(plain(params)["uris"]))

    @client.feature("m2/chatDelta")
    def delta(params: Any) -> None:
        editor.deltas.append(plain(params))
        editor.turn_events.append(("m2/chatDelta", plain(params)))

    @client.feature("m2/turnStarted")
    def turn_started(params: Any) -> None:
        editor.turn_events.append(("m2/turnStarted", plain(params)))

    @client.feature("m2/turnEnded")
    def turn_ended(params: Any) -> None:
        editor.turn_events.append(("m2/turnEnded", plain(params)))

    await client.start_io(sys.executable, "-m", "m2bridge", "lsp", *args, env=env, cwd=str(root))
    capabilities = pytest_lsp.client_capabilities(client_name)
    experimental: dict[str, Any] = {}
    if offers_save:
        experimental["m2SaveDocuments"] = True
    if offers_turns:
        experimental["m2Turns"] = True
    if experimental:
        capabilities.experimental = experimental
    folder = types.WorkspaceFolder(uri=root.as_uri(), name=root.name)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[folder],
            initialization_options=initialization_options,
        )
    )
    try:
        yield editor
    finally:
        await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()
