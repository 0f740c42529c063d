"""The session's slash commands, announced with `available_commands_update` and sent back as prompt text.

/compact summarises older turns now; /fork copies the conversation so far (thinking included) into a
new stored session and names it, so the user can come back to this point; /new starts over in a new
stored session that this editor session continues in (the old one stays, with its id)."""

from __future__ import annotations

from acp.schema import AvailableCommand, AvailableCommandsUpdate

__all__ = ["COMPACT", "FORK", "NEW", "available_commands", "slash_command"]

COMPACT, FORK, NEW = "compact", "fork", "new"

_COMMANDS = {
    COMPACT: "Summarise older turns now, to free M2's context window",
    FORK: "Copy this conversation, thinking included, into a new session you can come back to",
    NEW: "Start over in a new session (this one stays in the session list)",
}


def available_commands() -> AvailableCommandsUpdate:
    return AvailableCommandsUpdate(
        session_update="available_commands_update",
        available_commands=[
            AvailableCommand(name=name, description=what) for name, what in _COMMANDS.items()
        ],
    )


def slash_command(text: str) -> str | None:
    """The command a prompt is, when it is exactly `/name` (surrounding space allowed); None otherwise,
    so a message that merely starts with a slash word still goes to M2."""
    word = text.strip()
    if not word.startswith("/") or " " in word or "\n" in word:
        return None
    name = word[1:]
    return name if name in _COMMANDS else None
