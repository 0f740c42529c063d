"""The sandbox as the command line (and an editor's user settings) choose it, laid over the user config.

Every surface that runs commands (`mcp`, `chat`, `lsp`, and `acp` when it comes) takes the same two flags
through `add_sandbox_arguments`. Precedence: flag > editor user setting > user config.toml > default
(`workspace-write`). A project's file never reaches here (see `m2bridge.config`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

from m2bridge.config import SANDBOX_MODES, SandboxName, Settings

__all__ = ["SandboxChoice", "add_sandbox_arguments", "choose_sandbox", "flag_choice"]


@dataclass(frozen=True)
class SandboxChoice:
    """What one source said about the sandbox; None where it said nothing."""

    mode: SandboxName | None = None
    allow_network: bool | None = None


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default=None,
        help="where commands run: workspace-write (the default: write only in the roots and a private "
        "temp folder), read-only (write nowhere) or off (unsandboxed, with all your rights)",
    )
    parser.add_argument("--allow-network", action="store_true", help="let sandboxed commands use the network")


def flag_choice(args: argparse.Namespace) -> SandboxChoice:
    """The choice made by `add_sandbox_arguments`'s flags; an absent `--allow-network` says nothing."""
    return SandboxChoice(mode=args.sandbox, allow_network=True if args.allow_network else None)


def choose_sandbox(settings: Settings, choice: SandboxChoice, source: str) -> Settings:
    """`settings` with what `choice` said ranked above them; `source` names it for `doctor`."""
    sources = dict(settings.sources)
    updated = settings
    if choice.mode is not None:
        updated = replace(updated, sandbox=choice.mode)
        sources["sandbox"] = source
    if choice.allow_network is not None:
        updated = replace(updated, allow_network=choice.allow_network)
        sources["allow_network"] = source
    return replace(updated, sources=sources)
