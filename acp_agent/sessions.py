"""ACP sessions are the store's sessions, with the ids `m2bridge sessions list` shows.

ACP needs a session id at `session/new`, while the conversation service creates a session lazily, at its
first turn. So `session/new` creates the stored session at once (titled by the first prompt's absence:
empty until a turn runs), and a session that never got an answer is dropped again when the agent shuts
down, through the engine's `drop_if_unanswered`, which leaves alone a session another process has since
used. Nothing lingers in `sessions list` for an editor panel that was opened and closed unused.

The one exception to "the ACP id is the stored id" is /new: the editor keeps its session id, and this
process continues it in a fresh stored session (`stored_id`), whose id the user is told."""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from acp import RequestError

from acp_agent.modes import Mode
from m2bridge.config import Settings
from m2bridge.conversation import Conversation

__all__ = ["AcpSession", "ToolPlace", "checked_cwd", "checked_folders", "current_session"]

# The session whose turn is running, set by session/prompt: tools shared by the sessions of one folder
# (fs/* and terminal/* through the editor) name it in their requests.
current_session: ContextVar[str | None] = ContextVar("current_acp_session", default=None)


@dataclass(frozen=True)
class ToolPlace:
    """What a session's tools are opened with: its folder, the editor's extra folders (roots after the
    first) and the editor's MCP servers (as config entries, in JSON, so equal places compare equal)."""

    cwd: Path
    extra_roots: tuple[Path, ...] = ()
    servers: str = "{}"

    @property
    def roots(self) -> list[Path]:
        return [self.cwd, *self.extra_roots]


@dataclass
class AcpSession:
    """One session this agent serves: its ids, where its tools work, and the settings there."""

    id: str
    place: ToolPlace
    settings: Settings
    created_here: bool = False  # created by session/new in this process (dropped at exit if unanswered)
    stored_id: str = ""  # the stored session the turns go to: `id` unless /new started another
    mode: Mode = Mode.ASK
    turns_run: int = field(default=0)
    # Opened at the first prompt and kept: a prompt then costs no trip to the store before its turn.
    chat: Conversation | None = None

    def __post_init__(self) -> None:
        self.stored_id = self.stored_id or self.id

    @property
    def cwd(self) -> Path:
        return self.place.cwd


def checked_cwd(cwd: str, what: str = "cwd") -> Path:
    """The editor's `cwd` as a real path; invalid params when it is not an absolute, existing folder."""
    if "\0" in cwd:
        raise RequestError.invalid_params({what: cwd, "reason": "the path holds a NUL byte"})
    if not os.path.isabs(cwd):
        raise RequestError.invalid_params(
            {what: cwd, "reason": f"{what} must be an absolute path (a folder the session works in)"}
        )
    if not os.path.isdir(cwd):
        raise RequestError.invalid_params({what: cwd, "reason": f"{what} is not an existing folder"})
    return Path(os.path.realpath(cwd))


def checked_folders(folders: list[str] | None, cwd: Path) -> tuple[Path, ...]:
    """The editor's additional directories, each checked as `cwd` is, without repeats or `cwd` itself."""
    seen: list[Path] = []
    for folder in folders or []:
        real = checked_cwd(folder, "additionalDirectories")
        if real != cwd and real not in seen:
            seen.append(real)
    return tuple(seen)
