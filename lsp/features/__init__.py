"""The language server's features, one module per job, each registering its handlers on the server:
lifecycle (start, settings, folders, shutdown), document sync (buffers and what the editor shows), the
chat panel's requests, and code actions with the commands they carry. `lsp.server` composes them."""

from lsp.features.chat_requests import register_chat_requests
from lsp.features.code_action_commands import register_code_actions
from lsp.features.document_sync import register_document_sync
from lsp.features.lifecycle import register_lifecycle

__all__ = ["register_chat_requests", "register_code_actions", "register_document_sync", "register_lifecycle"]
