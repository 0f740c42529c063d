"""The session's approval policy, offered both as ACP session modes and as a session config option.

Schema 1.x has both: modes (`session/set_mode`, `current_mode_update`) are what most editors show today,
config options (`session/set_config_option`, category "mode") are what the schema now prefers. One
policy sits behind both and each change is announced through both, so whichever the editor uses stays
right. The policy decides what the editor is asked: every destructive call (ask), edits allowed without
asking but commands asked (accept edits), or nothing that changes anything (read-only)."""

from __future__ import annotations

from enum import StrEnum

from acp.schema import (
    SessionConfigOptionBoolean,
    SessionConfigOptionSelect,
    SessionConfigSelectOption,
    SessionMode,
    SessionModeState,
)

__all__ = ["MODE_OPTION", "Mode", "config_options", "mode_of", "mode_state"]


class Mode(StrEnum):
    ASK = "ask"
    ACCEPT_EDITS = "accept_edits"
    READ_ONLY = "read_only"


# The config option's id (the select carrying the same three choices as the modes).
MODE_OPTION = "mode"

_NAMES = {
    Mode.ASK: ("Ask", "Ask before every edit, command and other change."),
    Mode.ACCEPT_EDITS: ("Accept edits", "Edit files without asking; ask before commands and other changes."),
    Mode.READ_ONLY: ("Read-only", "Read and search only: M2 is refused every edit, command and change."),
}


def mode_of(value: str) -> Mode | None:
    """The mode an editor named, or None for a name we do not have."""
    try:
        return Mode(value)
    except ValueError:
        return None


def mode_state(current: Mode) -> SessionModeState:
    return SessionModeState(
        current_mode_id=current.value,
        available_modes=[
            SessionMode(id=mode.value, name=name, description=description)
            for mode, (name, description) in _NAMES.items()
        ],
    )


def config_options(current: Mode) -> list[SessionConfigOptionSelect | SessionConfigOptionBoolean]:
    return [
        SessionConfigOptionSelect(
            type="select",
            id=MODE_OPTION,
            name="Approvals",
            category="mode",
            description="What M2 may do without asking.",
            current_value=current.value,
            options=[
                SessionConfigSelectOption(value=mode.value, name=name, description=description)
                for mode, (name, description) in _NAMES.items()
            ],
        )
    ]
