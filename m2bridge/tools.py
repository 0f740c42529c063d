"""The tool protocol the agent loop runs and `mcp_tools` implements: one implementation, two front doors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Approver",
    "MediaBlob",
    "ProgressReporter",
    "Tool",
    "ToolOutcome",
    "ToolSpec",
    "Workspace",
    "current_tool_call",
    "progress_reporter",
    "report_progress",
]


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about a tool."""

    name: str
    description: str
    input_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    # Destructive tools (write, edit, run) need approval; read-only ones never do.
    destructive: bool = False
    # MCP annotations: the tool changes nothing / calling it twice equals calling it once.
    read_only: bool = False
    idempotent: bool = False
    # Reaches beyond this machine (MiniMax's APIs): MCP's open-world hint.
    open_world: bool = False


@dataclass(frozen=True)
class MediaBlob:
    """Bytes a front door can show inline (MCP image or audio content); the model still reads `content`."""

    kind: str  # "image" or "audio"
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool = False
    # Files a tool produced (media), recorded in the session as artifacts: {"path", "url", "kind"}.
    artifacts: tuple[Mapping[str, str], ...] = ()
    media: tuple[MediaBlob, ...] = ()


@runtime_checkable
class Tool(Protocol):
    @property
    def spec(self) -> ToolSpec: ...

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome: ...


# Asked before a destructive tool runs: (tool name, arguments) -> allowed? True allows; False refuses with
# the engine's own words; a string refuses with that reason for M2 (each front door knows its own remedy).
Approver = Callable[[str, Mapping[str, Any]], Awaitable[bool | str]]


@runtime_checkable
class Workspace(Protocol):
    """Files as tools see them: the disk for the terminal and MCP, the editor's buffers for the LSP."""

    @property
    def roots(self) -> tuple[str, ...]: ...

    async def read_text(self, path: str) -> str: ...

    async def write_text(self, path: str, text: str) -> str | None:
        """Store `text`; may return a note for the model on where it went (the editor: unsaved, stale)."""
        ...

    async def list_dir(self, path: str) -> list[str]: ...


# Progress of a long tool call, for whichever front door is listening: (done, total, message).
ProgressReporter = Callable[[float, "float | None", "str | None"], Awaitable[None]]

# Set per call by the front door (the MCP server forwards it as progress notifications).
progress_reporter: ContextVar[ProgressReporter | None] = ContextVar("progress_reporter", default=None)


# The id of the tool call being run, set in the call's own task: a front door that shows calls (ACP) can
# attach what a tool makes, such as the editor terminal a command runs in, to the right call.
current_tool_call: ContextVar[str | None] = ContextVar("current_tool_call", default=None)


async def report_progress(done: float, total: float | None = None, message: str | None = None) -> None:
    """Report progress of the current tool call; a no-op where nobody listens."""
    reporter = progress_reporter.get()
    if reporter is not None:
        await reporter(done, total, message)
