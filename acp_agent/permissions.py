"""Asking the editor before a destructive tool runs, through `session/request_permission`.

Allow once, allow always (remembered per tool for the session, in this process) or reject; a rejection,
a cancelled request and a client that does not answer within `PERMISSION_WAIT` all refuse the call, and
the engine tells M2 it was not approved, and why. The session's mode decides first: read-only refuses
every destructive call unasked, accept-edits allows file edits unasked (see `acp_agent.modes`)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from acp.interfaces import Client
from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from acp_agent.modes import Mode
from acp_agent.tool_calls import edit_diffs, tool_kind, tool_title

__all__ = ["ALLOW_ALWAYS", "ALLOW_ONCE", "PERMISSION_WAIT", "REJECT", "SessionApprover"]

ALLOW_ONCE, ALLOW_ALWAYS, REJECT = "allow_once", "allow_always", "reject_once"
# How long a permission request may stay unanswered; M2BRIDGE_ACP_PERMISSION_WAIT (seconds) for tests.
PERMISSION_WAIT = float(os.environ.get("M2BRIDGE_ACP_PERMISSION_WAIT", "600"))

_OPTIONS = [
    PermissionOption(option_id=ALLOW_ONCE, name="Allow", kind="allow_once"),
    PermissionOption(option_id=ALLOW_ALWAYS, name="Allow for this session", kind="allow_always"),
    PermissionOption(option_id=REJECT, name="Reject", kind="reject_once"),
]

log = logging.getLogger("m2bridge.acp")


class SessionApprover:
    """One per session. `call_id` finds the tool_call id of the call being approved (see the relay)."""

    def __init__(self, client: Client, session_id: str, cwd: Path) -> None:
        self._client = client
        self._session_id = session_id
        self._cwd = cwd  # the session's folder: diffs name absolute paths
        self._always: set[str] = set()
        self.mode = Mode.ASK
        self.call_id: Callable[[Mapping[str, Any]], str] = lambda arguments: ""
        self.before_asking: Callable[[], Any] | None = None

    async def __call__(self, name: str, arguments: Mapping[str, Any]) -> bool | str:
        if self.mode is Mode.READ_ONLY:
            return "the session is in read-only mode; the user can switch its mode to allow changes"
        if name in self._always or (self.mode is Mode.ACCEPT_EDITS and tool_kind(name) == "edit"):
            return True
        if self.before_asking is not None:
            await self.before_asking()
        call = ToolCallUpdate(
            tool_call_id=self.call_id(arguments),
            title=tool_title(name, arguments),
            kind=tool_kind(name),
            raw_input=dict(arguments),
            content=list(edit_diffs(name, arguments, self._cwd)) or None,
        )
        try:
            answer = await asyncio.wait_for(
                self._client.request_permission(
                    options=_OPTIONS, session_id=self._session_id, tool_call=call
                ),
                PERMISSION_WAIT,
            )
        except TimeoutError:
            log.warning(
                "session %s: no answer to the permission request for %s: refused", self._session_id, name
            )
            return f"the editor did not answer the permission request within {PERMISSION_WAIT:g} s"
        except Exception as err:  # the editor failed the request: refused, the turn goes on
            log.warning("session %s: the permission request failed (%s): refused", self._session_id, err)
            return "the editor could not ask the user"
        outcome = answer.outcome
        if not isinstance(outcome, AllowedOutcome):
            return "the permission request was cancelled"
        if outcome.option_id not in (ALLOW_ONCE, ALLOW_ALWAYS):
            return "the user rejected it; do not try it again unless they ask"
        if outcome.option_id == ALLOW_ALWAYS:
            self._always.add(name)
        return True
