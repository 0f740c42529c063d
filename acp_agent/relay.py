"""A turn's agent events as ACP `session/update` notifications, in the order M2 produced them.

The engine's event sink is a plain function; the client connection is async. Each update goes into a
queue that one task sends in order, and the turn's answer waits until the queue is empty, so every
update of a turn reaches the editor before the `session/prompt` response."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import assert_type

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_tool_call,
)
from acp.interfaces import Client
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    AvailableCommandsUpdate,
    ConfigOptionUpdate,
    ContentToolCallContent,
    CurrentModeUpdate,
    FileEditToolCallContent,
    SessionInfoUpdate,
    ToolCallProgress,
    ToolCallStart,
    UsageUpdate,
)

from acp_agent.editor_terminal import shown_terminals
from acp_agent.tool_calls import edit_diffs, tool_kind, tool_locations, tool_title
from m2bridge.agent import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.client.events import TextDelta, ThinkingDelta

__all__ = ["Update", "UpdateRelay"]

log = logging.getLogger("m2bridge.acp")

Update = (
    AgentMessageChunk
    | AgentThoughtChunk
    | ToolCallStart
    | ToolCallProgress
    | UsageUpdate
    | SessionInfoUpdate
    | AvailableCommandsUpdate
    | CurrentModeUpdate
    | ConfigOptionUpdate
)


class UpdateRelay:
    """`window` is the context window for `usage_update`, None where it is not sent (it is unstable)."""

    def __init__(self, client: Client, session_id: str, cwd: Path, window: int | None = None) -> None:
        self._client = client
        self._session_id = session_id
        self._cwd = cwd
        self._window = window
        self._diffs: dict[str, list[FileEditToolCallContent]] = {}
        self._queue: asyncio.Queue[Update | None] = asyncio.Queue()
        # The engine's approver gets (name, arguments) with the very arguments object ToolStart carried:
        # by that object, the permission request names the tool_call the editor already shows.
        self.call_ids: dict[int, str] = {}
        self._sender = asyncio.ensure_future(self._send_all())

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, ThinkingDelta):
            self.put(update_agent_thought_text(event.text))
        elif isinstance(event, TextDelta):
            self.put(update_agent_message_text(event.text))
        elif isinstance(event, ToolStart):
            arguments = dict(event.arguments)
            self.call_ids[id(event.arguments)] = event.call_id
            diffs = self._diffs[event.call_id] = edit_diffs(event.name, arguments, self._cwd)
            self.put(
                start_tool_call(
                    event.call_id,
                    tool_title(event.name, arguments),
                    kind=tool_kind(event.name),
                    status="in_progress",
                    content=list(diffs) or None,
                    locations=tool_locations(arguments, self._cwd),
                    raw_input=arguments,
                )
            )
        elif isinstance(event, ToolEnd):
            result: ContentToolCallContent = tool_content(text_block(event.content or event.summary))
            # A refused or failed edit changed nothing: its diff is not shown as if it had happened.
            diffs = self._diffs.pop(event.call_id, []) if event.ok else []
            self._diffs.pop(event.call_id, None)
            # A call's update replaces its whole content: the terminal it ran in is listed again.
            terminals = shown_terminals(self._session_id, event.call_id)
            self.put(
                update_tool_call(
                    event.call_id,
                    status="completed" if event.ok else "failed",
                    content=[*diffs, *terminals, result],
                )
            )
        elif isinstance(event, UsageReport):
            if self._window is not None:
                used = min(event.context_tokens, self._window)
                self.put(UsageUpdate(session_update="usage_update", used=used, size=self._window))
        else:
            assert_type(event, Notice)
            log.info("session %s: %s", self._session_id, event.text)

    def put(self, update: Update) -> None:
        self._queue.put_nowait(update)

    async def _send_all(self) -> None:
        while (update := await self._queue.get()) is not None:
            try:
                await self._client.session_update(self._session_id, update)
            except Exception as err:  # a client that went away must not end the turn
                log.warning("session %s: an update was not delivered (%s)", self._session_id, err)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    async def sent(self) -> None:
        """Every update put so far has been sent (a permission request follows its tool_call)."""
        await self._queue.join()

    async def drain(self) -> None:
        """Every update so far sent; the relay takes no more."""
        self._queue.put_nowait(None)
        await self._sender
