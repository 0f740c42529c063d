"""Start, settings, folders and shutdown: what the editor sets up, and the server's end."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lsp.conversation_adapter import EditorConversations
from lsp.editor_setup import EditorSetup
from lsp.link import EditorLink
from m2bridge.json_values import is_mapping

__all__ = ["register_lifecycle"]

SECTION = "m2bridge"


def _folders(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [to_fs_path(uri) for uri in uris if uri.startswith("file:")]
    if not paths and params.root_path:
        paths = [params.root_path]
    return [Path(p) for p in paths if p]


def _editor_section(raw: object) -> object:
    """Editors send either the whole settings tree or just our section."""
    if is_mapping(raw):
        section = raw.get(SECTION)
        if is_mapping(section):
            return section
    return raw


def register_lifecycle(
    server: LanguageServer, link: EditorLink, setup: EditorSetup, conversations: EditorConversations
) -> None:
    # initializationOptions stay the base that each workspace/configuration answer is laid over.
    init_options: dict[object, object] = {}

    @server.feature(types.INITIALIZE)
    def initialize(ls: LanguageServer, params: types.InitializeParams) -> None:
        setup.use_folders(_folders(params))
        section = _editor_section(params.initialization_options)
        if is_mapping(section):
            init_options.update(section)
        setup.configure(init_options, at_start=True)

    async def refresh_settings(pushed: object = None) -> None:
        try:
            pulled = await link.configuration()
            chosen = _editor_section(pulled if pulled is not None else pushed)
            if is_mapping(chosen):
                setup.configure({**init_options, **chosen})
        finally:
            setup.settings_ready.set()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: LanguageServer, params: types.InitializedParams) -> None:
        await refresh_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: LanguageServer, params: types.DidChangeConfigurationParams) -> None:
        await refresh_settings(params.settings)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: LanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [Path(p) for f in ls.workspace.folders.values() if (p := to_fs_path(f.uri))]
        setup.use_folders(folders)
        conversations.folders_changed()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LanguageServer, params: None) -> None:
        await conversations.close()
