"""`m2bridge lsp`: the pygls server wiring LSP and `m2/*` messages to the editor's conversations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pydantic import TypeAdapter, ValidationError
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lsp.buffers import Buffers
from lsp.code_actions import EXPLAIN, FIX, REFACTOR, code_actions, explain_prompt, fix_prompt, refactor_prompt
from lsp.conversation_adapter import EditorConversations, ServerOptions
from lsp.editor_setup import EditorSetup
from lsp.link import EditorLink
from lsp.params import (
    ChatParams,
    DiagnosticItem,
    DiagnosticsParams,
    EditorRange,
    SelectionParams,
    SessionParams,
    parse_params,
)
from lsp.session_views import session_list, session_view
from lsp.state import EditorState
from lsp.wire import M2Protocol, converter_factory
from m2bridge import __version__
from m2bridge.conversation import TurnControl

__all__ = ["M2LanguageServer", "ServerOptions", "build_server"]

logger = logging.getLogger(__name__)

NEW_SESSION = "m2.newSession"
CHAT_COMMAND = "m2.chat"
_ANSWER_SHOWN = 4000

Params = TypeVar("Params", SelectionParams, DiagnosticsParams)


class M2LanguageServer(LanguageServer):
    conversations: EditorConversations

    def report_server_error(self, error: Exception, source: Any) -> None:
        # A notification that failed (a didChange for a document never opened...) is logged, not shown.
        logger.warning("%s: %s", getattr(source, "__name__", source), error)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=f"m2bridge: {error}")
        )


async def _chat(conversations: EditorConversations, params: ChatParams, title: str = "M2") -> dict[str, Any]:
    """$/cancelRequest cancels the handler's task; the turn is stopped instead, and what arrived is kept."""
    control = TurnControl()
    inner = asyncio.ensure_future(conversations.chat(params, control, title=title))
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        control.cancel()
        return await inner


def _folders(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [to_fs_path(uri) for uri in uris if uri.startswith("file:")]
    if not paths and params.root_path:
        paths = [params.root_path]
    return [Path(p) for p in paths if p]


def _editor_section(raw: Any) -> Any:
    if isinstance(raw, Mapping) and isinstance(raw.get("m2bridge"), Mapping):
        return raw["m2bridge"]
    return raw


def _arguments(shape: Any, args: tuple[Any, ...], command: str) -> Any:
    try:
        return TypeAdapter(shape).validate_python(args)
    except ValidationError as err:
        problem = err.errors()[0]
        raise JsonRpcInvalidParams(f"{command}: bad arguments ({problem['msg']})") from None


def build_server(
    options: ServerOptions | None = None, env: Mapping[str, str] | None = None
) -> M2LanguageServer:
    # The one converter the protocol uses, kept here too: pygls offers no public way to reach it.
    converter = converter_factory()
    server = M2LanguageServer(
        "m2bridge", __version__, protocol_cls=M2Protocol, converter_factory=lambda: converter
    )
    state = EditorState()
    buffers = Buffers()
    link = EditorLink(server)
    setup = EditorSetup(link, env)
    conversations = EditorConversations(link, buffers, state, setup, options or ServerOptions())
    server.conversations = conversations
    init_options: dict[str, Any] = {}

    # Life cycle -------------------------------------------------------------------------------------
    @server.feature(types.INITIALIZE)
    def initialize(ls: M2LanguageServer, params: types.InitializeParams) -> None:
        setup.use_folders(_folders(params))
        section = _editor_section(params.initialization_options)
        if isinstance(section, Mapping):
            init_options.update(section)
        setup.configure(init_options)

    async def refresh_settings(pushed: Any = None) -> None:
        try:
            pulled = await link.configuration()
            chosen = _editor_section(pulled if pulled is not None else pushed)
            if isinstance(chosen, Mapping):
                setup.configure({**init_options, **chosen})
        finally:
            setup.settings_ready.set()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: M2LanguageServer, params: types.InitializedParams) -> None:
        await refresh_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: M2LanguageServer, params: types.DidChangeConfigurationParams) -> None:
        await refresh_settings(params.settings)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: M2LanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [Path(p) for f in ls.workspace.folders.values() if (p := to_fs_path(f.uri))]
        setup.use_folders(folders)
        conversations.folders_changed()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: M2LanguageServer, params: None) -> None:
        await conversations.close()

    # Documents and what the editor shows ------------------------------------------------------------
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
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_OPEN, did_open)
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_CHANGE, did_change)
    features.add_builtin_feature(types.TEXT_DOCUMENT_DID_CLOSE, did_close)

    def editor_notification(method: str, model: type[Params], apply: Callable[[Params], None]) -> None:
        """A notification from the editor: applied when its params check out, else logged and ignored."""

        @server.feature(method)
        def handle(ls: M2LanguageServer, params: Any) -> None:
            try:
                parsed = parse_params(model, params)
            except JsonRpcInvalidParams as err:
                link.log(f"{method} ignored: {err.message}", types.MessageType.Warning)
                return
            apply(parsed)

    editor_notification("m2/selection", SelectionParams, lambda p: state.selected(p.uri, p.range))
    editor_notification("m2/diagnostics", DiagnosticsParams, lambda p: state.diagnosed(p.uri, p.diagnostics))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                types.CodeActionKind.RefactorRewrite,
                types.CodeActionKind.Empty,
            ]
        ),
    )
    def code_action(ls: M2LanguageServer, params: types.CodeActionParams) -> list[Any]:
        unstructure = converter.unstructure
        items = TypeAdapter(list[DiagnosticItem]).validate_python(
            [unstructure(d) for d in params.context.diagnostics]
        )
        state.code_action_asked(
            params.text_document.uri, EditorRange.model_validate(unstructure(params.range)), items
        )
        capability = ls.client_capabilities.text_document
        literals = bool(
            capability and capability.code_action and capability.code_action.code_action_literal_support
        )
        return code_actions(params, literals, unstructure)

    # Chat and sessions ------------------------------------------------------------------------------
    @server.feature("m2/chat")
    async def chat(ls: M2LanguageServer, params: Any) -> dict[str, Any]:
        parsed = parse_params(ChatParams, params)
        return await _chat(conversations, parsed)

    @server.feature("m2/context")
    def context(ls: M2LanguageServer, params: Any) -> dict[str, Any]:
        """The editor-context block the next m2/chat would carry (for a preview, and for the benchmark)."""
        return {"text": conversations.editor_context()}

    @server.feature("m2/sessions")
    async def sessions(ls: M2LanguageServer, params: Any) -> list[dict[str, Any]]:
        return await session_list(conversations.service(), setup.workspace)

    @server.feature("m2/session")
    async def session(ls: M2LanguageServer, params: Any) -> dict[str, Any]:
        return await session_view(conversations.service(), parse_params(SessionParams, params).id)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancelled(ls: M2LanguageServer, params: types.WorkDoneProgressCancelParams) -> None:
        conversations.cancel_progress(params.token)

    # Commands ---------------------------------------------------------------------------------------
    async def command_turn(prompt: str, title: str, *, show_answer: bool) -> dict[str, Any]:
        answer = await _chat(conversations, ChatParams(prompt=prompt), title)
        text = answer["text"].strip()
        if answer["stopReason"] == "cancelled":
            link.show(f"M2 stopped; what arrived is kept in session {answer['sessionId']}.")
        elif answer["error"] is None and (show_answer or text):
            shown = text if len(text) <= _ANSWER_SHOWN else text[:_ANSWER_SHOWN] + "…"
            link.show(f"M2: {shown or '(no answer)'}")
            link.log(f"M2 ({answer['sessionId']}):\n{text}", types.MessageType.Info)
        return answer

    def where(uri: str) -> str:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return setup.show_path(path) if path else uri

    @server.command(FIX)
    async def fix(ls: M2LanguageServer, *args: Any) -> dict[str, Any]:
        uri, diagnostic = _arguments(tuple[str, DiagnosticItem], args, FIX)
        state.focus(uri, diagnostic.range)
        raw = diagnostic.model_dump(exclude_none=True)
        return await command_turn(fix_prompt(where(uri), raw), "M2: fixing", show_answer=False)

    @server.command(EXPLAIN)
    async def explain(ls: M2LanguageServer, *args: Any) -> dict[str, Any]:
        uri, span = _arguments(tuple[str, EditorRange], args, EXPLAIN)
        state.focus(uri, span)
        return await command_turn(
            explain_prompt(where(uri), span.model_dump()), "M2: explaining", show_answer=True
        )

    @server.command(REFACTOR)
    async def refactor(ls: M2LanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) == 2:
            args = (*args, None)
        uri, span, instruction = _arguments(tuple[str, EditorRange, str | None], args, REFACTOR)
        state.focus(uri, span)
        prompt = refactor_prompt(where(uri), span.model_dump(), instruction)
        return await command_turn(prompt, "M2: refactoring", show_answer=False)

    @server.command(CHAT_COMMAND)
    async def chat_command(ls: M2LanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) == 1:
            args = (*args, None)
        prompt, session_id = _arguments(tuple[str, str | None], args, CHAT_COMMAND)
        parsed = parse_params(ChatParams, {"prompt": prompt, "sessionId": session_id})
        answer = await _chat(conversations, parsed)
        if answer["error"] is None and answer["text"]:
            link.show(f"M2: {answer['text'][:_ANSWER_SHOWN]}")
        return answer

    @server.command(NEW_SESSION)
    def new_session(ls: M2LanguageServer, *args: Any) -> dict[str, Any]:
        conversations.new_session()
        return {"sessionId": None}

    return server
