"""What `m2bridge lsp` tells an editor it can do at initialize: every feature module registers its part
(document sync, code actions and their commands, the chat panel's commands), however build_server is
composed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import make_test_lsp_client

from tests.support.env import m2_env
from tests.support.lsp_editor import make_project


async def _capabilities(root: Path, env: dict[str, str]) -> types.ServerCapabilities:
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "m2bridge", "lsp", env=env, cwd=str(root))
    try:
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=root.as_uri()
            )
        )
        await asyncio.wait_for(client.shutdown_session(), 30)
    finally:
        await client.stop()
    return result.capabilities


async def test_the_server_advertises_its_commands_code_actions_and_incremental_sync(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    capabilities = await _capabilities(repo, m2_env(tmp_path, fake_minimax))

    assert capabilities.execute_command_provider is not None
    assert sorted(capabilities.execute_command_provider.commands) == [
        "m2.chat",
        "m2.explain",
        "m2.fix",
        "m2.newSession",
        "m2.refactor",
        "m2.stop",
    ]
    actions = capabilities.code_action_provider
    assert isinstance(actions, types.CodeActionOptions)
    assert list(actions.code_action_kinds or []) == [
        types.CodeActionKind.QuickFix,
        types.CodeActionKind.RefactorRewrite,
        types.CodeActionKind.Empty,
    ]
    sync = capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert capabilities.workspace is not None and capabilities.workspace.workspace_folders is not None
    assert capabilities.workspace.workspace_folders.supported is True
