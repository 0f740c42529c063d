"""ACP sessions are the store's sessions, with the ids `m2bridge sessions list` shows.

ACP needs a session id at `session/new`, while the conversation service creates a session lazily, at its
first turn. So `session/new` creates the stored session at once (titled by the first prompt's absence:
empty until a turn runs), and a session that never got an answer is dropped again when the agent shuts
down, through the engine's `drop_if_unanswered`, which leaves alone a session another process has since
used. Nothing lingers in `sessions list` for an editor panel that was opened and closed unused."""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from acp import RequestError

from m2bridge.config import Settings

__all__ = ["AcpSession", "checked_cwd", "current_session"]

# The session whose turn is running, set by session/prompt: tools shared by the sessions of one folder
# (fs/* and terminal/* through the editor) name it in their requests.
current_session: ContextVar[str | None] = ContextVar("current_acp_session", default=None)


@dataclass
class AcpSession:
    """One session this agent serves: its store id, the folder the editor gave, and the settings there."""

    id: str
    cwd: Path
    settings: Settings
    created_here: bool = False  # created by session/new in this process (dropped at exit if unanswered)
    turns_run: int = field(default=0)


def checked_cwd(cwd: str) -> Path:
    """The editor's `cwd` as a real path; invalid params when it is not an absolute, existing folder."""
    if "\0" in cwd:
        raise RequestError.invalid_params({"cwd": cwd, "reason": "the path holds a NUL byte"})
    if not os.path.isabs(cwd):
        raise RequestError.invalid_params(
            {"cwd": cwd, "reason": "cwd must be an absolute path (the folder the session works in)"}
        )
    if not os.path.isdir(cwd):
        raise RequestError.invalid_params({"cwd": cwd, "reason": "cwd is not an existing folder"})
    return Path(os.path.realpath(cwd))
