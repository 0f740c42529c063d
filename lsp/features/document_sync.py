"""The editor's documents and what it shows: didOpen/didChange/didClose into our buffers, and the
`m2/selection` and `m2/diagnostics` notifications into the editor state the context block reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp.buffers import Buffers
from lsp.link import EditorLink
from lsp.params import DiagnosticsParams, SelectionParams, parse_params
from lsp.state import EditorState

__all__ = ["register_document_sync"]

Params = TypeVar("Params", SelectionParams, DiagnosticsParams)


def register_document_sync(
    server: LanguageServer, link: EditorLink, buffers: Buffers, state: EditorState
) -> None:
    _register_documents(server, link, buffers, state)
    _register_editor_notification(
        server, link, "m2/selection", SelectionParams, lambda p: state.selected(p.uri, p.range)
    )
    _register_editor_notification(
        server, link, "m2/diagnostics", DiagnosticsParams, lambda p: state.diagnosed(p.uri, p.diagnostics)
    )


def _register_documents(
    server: LanguageServer, link: EditorLink, buffers: Buffers, state: EditorState
) -> None:
    # Our own document store takes over pygls's (see lsp/documents.py): registered as the built-in
    # handlers, so pygls's own copy of each document is never built.
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        buffers.opened(document.uri, document.text, document.version, document.language_id)
        state.touched(document.uri)

    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        changes = [
            (
                ((c.range.start.line, c.range.start.character), (c.range.end.line, c.range.end.character))
                if isinstance(c, types.TextDocumentContentChangePartial)
                else None,
                c.text,
            )
            for c in params.content_changes
        ]
        buffers.changed(
            params.text_document.uri, params.text_document.version, changes, link.position_encoding
        )
        state.touched(params.text_document.uri)

    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        buffers.closed(params.text_document.uri)
        state.closed(params.text_document.uri)

    features = server.protocol.fm
    # pygls annotates the handler as a bare Callable, so its type reads as partially unknown.
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_OPEN, did_open)  # pyright: ignore[reportUnknownMemberType]
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_CHANGE, did_change)  # pyright: ignore[reportUnknownMemberType]
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_CLOSE, did_close)  # pyright: ignore[reportUnknownMemberType]


def _register_editor_notification(
    server: LanguageServer,
    link: EditorLink,
    method: str,
    model: type[Params],
    apply: Callable[[Params], None],
) -> None:
    """A notification from the editor: applied when its params check out, else logged and ignored."""

    @server.feature(method)
    def handle(ls: LanguageServer, params: object) -> None:
        try:
            parsed = parse_params(model, params)
        except JsonRpcInvalidParams as err:
            link.log(f"{method} ignored: {err.message}", types.MessageType.Warning)
            return
        apply(parsed)
