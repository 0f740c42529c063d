"""The interactive chat's slash commands, and the rule that tells a command from a message.

A line whose first word is a slash and a name (`/help`, `/thnik`) is a command: a known one runs, an
unknown one is refused rather than sent to M2 as a typo. A first word with a second slash (`/etc/hosts is
...`) is a path and goes to M2 as written. To send a line that starts with a slash word anyway, start
it with `//`: one slash is removed (`//tmp is full` sends `/tmp is full`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COMMANDS", "Command", "Message", "Unknown", "help_text", "read_line"]

COMMANDS: dict[str, str] = {
    "/help": "lists these commands",
    "/think": "shows or hides M2's thinking",
    "/new": "starts a new session",
    "/session": "shows the session's id",
    "/exit": "quits (so do /quit and Ctrl-D)",
    "/quit": "quits",
}

_COMMAND_WORD = re.compile(r"/[A-Za-z][\w-]*")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


@dataclass(frozen=True)
class Unknown:
    name: str


@dataclass(frozen=True)
class Message:
    text: str


def read_line(text: str) -> Command | Unknown | Message:
    """What a stripped, non-empty input line is."""
    if text.startswith("//"):
        return Message(text[1:])
    word, *rest = text.split(maxsplit=1)
    if not _COMMAND_WORD.fullmatch(word):
        return Message(text)
    name = word.lower()
    if name in COMMANDS:
        return Command(name, rest[0] if rest else "")
    return Unknown(word)


def help_text() -> str:
    lines = [f"{name:<9} {what}" for name, what in COMMANDS.items() if name != "/quit"]
    lines += [
        "Ctrl-C    stops a running turn (what arrived is kept)",
        "//text    sends a message that starts with a slash word as /text",
    ]
    return "\n".join(lines)
