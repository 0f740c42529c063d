"""What the terminal's commands open: settings and workspace, the store (`sessions`), and the
conversation service with the engine tools (`chat`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from m2bridge.client.events import RetryScheduled
from m2bridge.config import Settings, load_settings
from m2bridge.conversation import ConversationService
from m2bridge.sandbox_choice import SandboxChoice, choose_sandbox
from m2bridge.sessions import Store, open_store
from m2bridge.tools import Tool
from m2bridge.workspace import detect_workspace

__all__ = ["Runtime", "chat_service", "open_runtime", "open_settings"]


@dataclass
class Runtime:
    settings: Settings
    workspace: Path
    store: Store


def open_settings(*, quiet: bool = False, sandbox: SandboxChoice | None = None) -> tuple[Settings, Path]:
    """The settings and the workspace, without opening the store (which may be what needs fixing);
    `sandbox` is what the command line chose, ranked above the user config."""
    workspace = detect_workspace()
    settings = load_settings(workspace=workspace)
    if sandbox is not None:
        settings = choose_sandbox(settings, sandbox, "the command line")
    if not quiet:
        for warning in settings.warnings:
            print(f"m2bridge: {warning}", file=sys.stderr)
    return settings, workspace


def open_runtime(*, quiet: bool = False) -> Runtime:
    settings, workspace = open_settings(quiet=quiet)
    return Runtime(settings=settings, workspace=workspace, store=open_store(settings))


def chat_service(
    settings: Settings,
    workspace: Path,
    warn: Callable[[str], None],
    on_retry: Callable[[RetryScheduled], None] | None = None,
) -> ConversationService:
    """The service `chat` runs its turns through, with the repo and terminal tools on the workspace
    (and the configured outside MCP servers), opened at the first turn.

    Says once on stderr when commands will run unsandboxed or no sandbox exists; M2 learns from the
    system prompt why the process tools are absent then."""
    from mcp_tools.sandbox import sandbox_support, startup_notice
    from mcp_tools.toolkit import sandbox_note, sandbox_policy

    policy, support = sandbox_policy(settings), sandbox_support()
    notice = startup_notice(policy, support)
    if notice is not None:
        print(notice, file=sys.stderr)

    def tools() -> AbstractAsyncContextManager[Sequence[Tool]]:
        from mcp_tools.engine_tools import open_engine_tools  # the CLI is a surface: it may use the tools

        return open_engine_tools(settings, workspace, warn)

    return ConversationService(
        settings,
        workspace,
        owner=f"cli:{os.getpid()}",
        tools=tools,
        note=sandbox_note(policy, support),
        on_retry=on_retry,
    )
