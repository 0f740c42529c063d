"""What a command may do: the user's sandbox policy, and the confinement one call runs under."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["Confinement", "SandboxMode", "SandboxPolicy"]


class SandboxMode(StrEnum):
    OFF = "off"
    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"


@dataclass(frozen=True)
class SandboxPolicy:
    """The user's choice (`--sandbox`, `--allow-network`, the config); never a project file's."""

    mode: SandboxMode = SandboxMode.WORKSPACE_WRITE
    allow_network: bool = False  # --allow-network; a per-call `network: true` may add it for one call
    allow_unsandboxed: bool = (
        False  # config `sandbox_fallback = "off"`: run unsandboxed when no sandbox exists
    )


@dataclass(frozen=True)
class Confinement:
    """One command's walls: the mode, whether it has the network, and the folders it sees as roots.

    `roots` are written to in `workspace-write` and only read in `read-only`; `readable` (the spilled
    output) are only read. Everything else of the system is read-only, the secrets not there at all.
    """

    mode: SandboxMode
    network: bool
    roots: tuple[Path, ...]
    readable: tuple[Path, ...] = ()

    @property
    def writes_roots(self) -> bool:
        return self.mode is SandboxMode.WORKSPACE_WRITE
