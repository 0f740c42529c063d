"""Asking the user before a destructive tool runs, through `window/showMessageRequest`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = ["ALLOW", "ALLOW_SESSION", "DENY", "EditorApprover"]

ALLOW = "Allow"
ALLOW_SESSION = "Allow for this session"
DENY = "Deny"

# (message, action titles) -> the title chosen, or None if dismissed.
Ask = Callable[[str, list[str]], Awaitable[str | None]]


def describe(name: str, arguments: Mapping[str, Any], limit: int = 400) -> str:
    if name == "run_command" and isinstance(arguments.get("command"), str):
        shown = f"run `{arguments['command']}`"
    elif isinstance(arguments.get("path"), str):
        shown = f"{name} on {arguments['path']}"
    else:
        shown = f"{name} {json.dumps(dict(arguments), ensure_ascii=False)}"
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class EditorApprover:
    """One per session: "Allow for this session" is remembered per tool for the session's life here."""

    def __init__(self, ask: Ask) -> None:
        self._ask = ask
        self._always: set[str] = set()

    async def __call__(self, name: str, arguments: Mapping[str, Any]) -> bool:
        if name in self._always:
            return True
        answer = await self._ask(f"M2 wants to {describe(name, arguments)}.", [ALLOW, ALLOW_SESSION, DENY])
        if answer == ALLOW_SESSION:
            self._always.add(name)
        return answer in (ALLOW, ALLOW_SESSION)
