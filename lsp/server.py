"""`m2bridge lsp`: the pygls server, composed of the features in `lsp.features`, one job each, over the
editor's conversations."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lsprotocol import types
from pygls.exceptions import JsonRpcException, PyglsError
from pygls.lsp.server import LanguageServer

from lsp.buffers import Buffers
from lsp.conversation_adapter import EditorConversations, ServerOptions
from lsp.editor_setup import EditorSetup
from lsp.features import (
    register_chat_requests,
    register_code_actions,
    register_document_sync,
    register_lifecycle,
)
from lsp.link import EditorLink
from lsp.state import EditorState
from lsp.wire import M2Protocol, converter_factory
from m2bridge import __version__

__all__ = ["M2LanguageServer", "ServerOptions", "build_server"]

logger = logging.getLogger(__name__)


class M2LanguageServer(LanguageServer):
    conversations: EditorConversations

    def report_server_error(
        self, error: Exception, source: type[PyglsError] | type[JsonRpcException]
    ) -> None:
        # A notification that failed (a didChange for a document never opened...) is logged, not shown.
        logger.warning("%s: %s", getattr(source, "__name__", source), error)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=f"m2bridge: {error}")
        )


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
    options = options or ServerOptions()
    runs_commands = not (options.read_only or options.no_terminal)
    setup = EditorSetup(link, env, options.sandbox, runs_commands=runs_commands)
    conversations = EditorConversations(link, buffers, state, setup, options)
    server.conversations = conversations

    register_lifecycle(server, link, setup, conversations)
    register_document_sync(server, link, buffers, state)
    # Code actions first: the commands are advertised in the order the editor has always seen.
    register_code_actions(server, link, setup, state, conversations, converter.unstructure)
    register_chat_requests(server, link, setup, conversations)
    return server
