"""`m2/sessions` and `m2/session`: stored sessions as the editor shows them, camelCase like every
`m2/*` answer (the engine's display shape put through the same recasing as the turn result)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from m2bridge.conversation import ConversationService, camel_case, recased
from m2bridge.errors import SessionNotFound
from m2bridge.sessions import SessionInfo

__all__ = ["session_list", "session_view"]

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
    return recased(shown, camel_case, _AS_WRITTEN)
