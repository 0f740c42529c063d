"""`m2/sessions` and `m2/session`: stored sessions as the editor shows them, camelCase like every
`m2/*` answer (the engine's display shape put through the same recasing as the turn result)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from m2bridge.conversation import ConversationService, camel_case, recased
from m2bridge.errors import SessionNotFound
from m2bridge.sessions import SessionInfo

__all__ = ["session_list", "session_view", "shown_session"]

# What the model or a tool wrote is shown as written, whatever its keys look like.
_AS_WRITTEN = frozenset({"arguments", "artifacts"})


def _summary(info: SessionInfo) -> dict[str, Any]:
    return recased(
        {
            "id": info.id,
            "title": info.title,
            "updated": info.updated,
            "turns": info.turns,
            "context_tokens": info.context_tokens,
            "workspace": info.workspace,
        },
        camel_case,
    )


async def session_list(service: ConversationService, workspace: Path) -> list[dict[str, Any]]:
    return [_summary(info) for info in await service.sessions.listed(workspace)]


async def session_view(service: ConversationService, session_id: str) -> dict[str, Any]:
    """A session's turns for display, thinking included and marked."""
    return (await shown_session(service, session_id))[2]


async def shown_session(service: ConversationService, session_id: str) -> tuple[str, int, dict[str, Any]]:
    """`session_view`, with the session's id and how many turns the view holds (the count the editor
    shows, which the change feed compares against)."""
    try:
        info, turns = await service.sessions.display(session_id)
    except SessionNotFound as err:
        raise JsonRpcInvalidParams(str(err)) from None
    shown = {
        "id": info.id,
        "title": info.title,
        "workspace": info.workspace,
        "updated": info.updated,
        "context_tokens": info.context_tokens,
        "turns": turns,
    }
    # The turns were read after `info`: a turn that landed in between is in them, and counts as shown.
    count = max(info.turns, 1 + max((int(t["index"]) for t in turns), default=-1))
    return info.id, count, recased(shown, camel_case, _AS_WRITTEN)
