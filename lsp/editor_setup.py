"""What the editor set up: its folders (the tools' roots, and the workspace sessions belong to) and its
`m2bridge` settings, applied over the environment."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

from lsprotocol import types

from lsp.link import EditorLink
from lsp.settings import EditorSettings, read_editor_settings, settings_with
from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError
from m2bridge.workspace import detect_workspace

__all__ = ["EditorSetup"]


class EditorSetup:
    def __init__(self, link: EditorLink, env: Mapping[str, str] | None = None) -> None:
        self.link = link
        self.env = dict(os.environ if env is None else env)
        self.workspace = detect_workspace()
        self.roots: list[Path] = [self.workspace]
        self._editor: EditorSettings = {}
        self._settings: Settings | None = None
        # Set once the editor's first workspace/configuration answer is in (or it offers none), so a chat
        # sent right after start-up still runs with the editor's settings.
        self.settings_ready = asyncio.Event()

    def use_folders(self, folders: list[Path]) -> None:
        """The editor's folders become the tools' roots; the first one's repository is the workspace."""
        existing = [f for f in folders if f.is_dir()]
        if existing:
            self.workspace = detect_workspace(existing[0])
            self.roots = existing

    def configure(self, raw: object) -> None:
        """Apply `m2bridge` settings from the editor, keeping the last good ones when these are unusable."""
        editor, warnings = read_editor_settings(raw)
        for warning in warnings:
            self.link.show(warning, types.MessageType.Warning)
        try:
            settings = settings_with(editor, self.env, self.workspace)
        except M2BridgeError as err:
            self.link.show(f"M2: settings not applied: {err}", types.MessageType.Error)
            return
        self._editor, self._settings = editor, settings
        for warning in settings.warnings:
            self.link.show(f"M2: {warning}", types.MessageType.Warning)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = settings_with(self._editor, self.env, self.workspace)
        return self._settings

    def show_path(self, path: str) -> str:
        """A path as the user reads it: relative to the workspace when inside it."""
        try:
            return str(Path(path).relative_to(self.workspace))
        except ValueError:
            return path
