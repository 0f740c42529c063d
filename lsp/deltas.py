"""The agent's events as `m2/chatDelta` notifications and progress messages for the editor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type

from m2bridge.agent import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.client.events import TextDelta, ThinkingDelta

__all__ = ["DeltaRelay"]

CHAT_DELTA = "m2/chatDelta"


class DeltaRelay:
    """Turns one session's agent events into notifications; remembers arguments to repeat them at toolEnd.

    `session_id` is asked at each event: a new conversation's session is created just before its turn."""

    def __init__(
        self,
        session_id: Callable[[], str | None],
        notify: Callable[[str, dict[str, Any]], None],
        report: Callable[[str], None],
        notice: Callable[[str], None],
        context_window: int,
    ) -> None:
        self._session_id = session_id
        self._notify = notify
        self._report = report
        self._notice = notice
        self._window = context_window
        self._arguments: dict[str, dict[str, Any]] = {}

    def _send(self, kind: str, **fields: Any) -> None:
        self._notify(CHAT_DELTA, {"sessionId": self._session_id(), "kind": kind, **fields})

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, ThinkingDelta):
            self._send("thinking", text=event.text)
        elif isinstance(event, TextDelta):
            self._send("text", text=event.text)
        elif isinstance(event, ToolStart):
            arguments = dict(event.arguments)
            self._arguments[event.call_id] = arguments
            self._send("toolStart", tool={"id": event.call_id, "name": event.name, "arguments": arguments})
            self._report(f"running {event.name}")
        elif isinstance(event, ToolEnd):
            arguments = self._arguments.pop(event.call_id, {})
            tool = {"id": event.call_id, "name": event.name, "arguments": arguments, "ok": event.ok}
            self._send("toolEnd", tool={**tool, "summary": event.summary})
            self._report("thinking")
        elif isinstance(event, UsageReport):
            self._send(
                "usage",
                inputTokens=event.input_tokens,
                outputTokens=event.output_tokens,
                contextTokens=event.context_tokens,
                contextWindow=self._window,
            )
        else:
            # The checker fails here when a new event kind goes unrelayed.
            assert_type(event, Notice)
            self._notice(event.text)
