"""What the editor set up: its folders (the tools' roots, and the workspace sessions belong to) and its
`m2bridge` settings, applied over the environment.

The sandbox is pinned when the server starts: the command line's `--sandbox`/`--allow-network`, else the
editor's `sandbox`/`allowNetwork` in `initializationOptions`, else the user config. A later
`workspace/configuration` answer may carry a workspace's value, so it never changes it."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from lsprotocol import types

from lsp.link import EditorLink
from lsp.settings import EditorSettings, read_editor_settings, read_sandbox_settings, settings_with
from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError
from m2bridge.sandbox_choice import SandboxChoice, choose_sandbox
from m2bridge.workspace import detect_workspace

__all__ = ["EditorSetup"]

_log = logging.getLogger("lsp.sandbox")


def _changes(later: SandboxChoice, pinned: SandboxChoice) -> bool:
    """Whether a later answer asks for another sandbox than the start-up one (an editor sends its
    default `allowNetwork: false` with every answer; that asks for nothing)."""
    mode = later.mode is not None and later.mode != pinned.mode
    network = later.allow_network is not None and later.allow_network != bool(pinned.allow_network)
    return mode or network


class EditorSetup:
    def __init__(
        self,
        link: EditorLink,
        env: Mapping[str, str] | None = None,
        flags: SandboxChoice | None = None,
        *,
        runs_commands: bool = True,
    ) -> None:
        """`flags` is the sandbox the command line chose; it ranks above every setting. Without
        `runs_commands` (--read-only, --no-terminal) nothing is said about the sandbox."""
        self.link = link
        self.env = dict(os.environ if env is None else env)
        self.flags = flags or SandboxChoice()
        self.runs_commands = runs_commands
        self._editor_sandbox = SandboxChoice()
        self._sandbox_pinned = False
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

    def configure(self, raw: object, *, at_start: bool = False) -> None:
        """Apply `m2bridge` settings from the editor, keeping the last good ones when these are unusable.

        `at_start`: these are the `initializationOptions`, the one place the sandbox is read from."""
        editor, warnings = read_editor_settings(raw)
        sandbox, sandbox_warnings = read_sandbox_settings(raw)
        if at_start and not self._sandbox_pinned:
            self._editor_sandbox, self._sandbox_pinned = sandbox, True
            warnings += sandbox_warnings
        elif _changes(sandbox, self._editor_sandbox):
            warnings.append(
                "m2bridge.sandbox and m2bridge.allowNetwork are read from your user settings when the "
                "language server starts, never from a workspace's; restart the server to apply a change."
            )
        for warning in warnings:
            self.link.show(warning, types.MessageType.Warning)
        try:
            settings = self._with_sandbox(settings_with(editor, self.env, self.workspace))
        except M2BridgeError as err:
            self.link.show(f"m2bridge: settings not applied: {err}", types.MessageType.Error)
            return
        self._editor, self._settings = editor, settings
        for warning in settings.warnings:
            self.link.show(f"m2bridge: {warning}", types.MessageType.Warning)
        if at_start and self.runs_commands:
            self._announce_sandbox(settings)

    def _with_sandbox(self, settings: Settings) -> Settings:
        settings = choose_sandbox(settings, self._editor_sandbox, "the editor's user settings")
        return choose_sandbox(settings, self.flags, "the command line")

    def _announce_sandbox(self, settings: Settings) -> None:
        """Once, at start-up: commands run unsandboxed, or no sandbox exists (and what fixes it)."""
        from mcp_tools.sandbox import sandbox_support, startup_notice
        from mcp_tools.toolkit import sandbox_policy

        notice = startup_notice(sandbox_policy(settings), sandbox_support())
        if notice is not None:
            # At warning level on stderr: editors show the server's stderr in their log at each line's level.
            _log.warning("%s", notice.removeprefix("m2bridge: "))
            self.link.log(notice, types.MessageType.Warning)

    def sandbox_note(self) -> str:
        """What M2 is told when the process tools are absent for want of a sandbox (else empty)."""
        from mcp_tools.toolkit import sandbox_note, sandbox_policy

        return sandbox_note(sandbox_policy(self.settings)) if self.runs_commands else ""

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._with_sandbox(settings_with(self._editor, self.env, self.workspace))
        return self._settings

    def show_path(self, path: str) -> str:
        """A path as the user reads it: relative to the workspace when inside it."""
        try:
            return str(Path(path).relative_to(self.workspace))
        except ValueError:
            return path
