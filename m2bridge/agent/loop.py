"""The interleaved loop: stream a model turn, run the tools it called, append the results, repeat.

Every turn is appended to the store as soon as it is complete, so what was acknowledged survives a
crash; a cancelled or failed model turn is stored marked incomplete and never sent back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from m2bridge.agent.context import choose_boundary, context_estimate, window
from m2bridge.agent.events import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError, ModelError
from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    ContextTurn,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    Turn,
    Usage,
    UserTurn,
)
from m2bridge.sessions import Lease, SessionStore
from m2bridge.tools import Approver, Tool, ToolOutcome

__all__ = ["Agent", "TurnResult"]

_SUMMARY_PROMPT = (
    "Summarise the conversation so far for your own later use: the user's goals, decisions made, "
    "files touched and their state, what is done and what remains, and any facts you will need. "
    "Be specific and complete; this summary replaces the older turns."
)


@dataclass
class TurnResult:
    session_id: str
    text: str = ""
    stop_reason: str = "end_turn"
    incomplete: bool = False
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    context_tokens: int = 0
    tool_calls: list[tuple[str, bool]] = field(default_factory=list)
    error: M2BridgeError | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "text": self.text,
            "stop_reason": self.stop_reason,
            "incomplete": self.incomplete,
            "steps": self.steps,
            "usage": {"input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens},
            "context_tokens": self.context_tokens,
            "tool_calls": [{"name": name, "ok": ok} for name, ok in self.tool_calls],
            "error": self.error.as_json() if self.error else None,
        }


class _Cancelled(Exception):
    pass


class Agent:
    def __init__(
        self,
        *,
        settings: Settings,
        client: ModelClient,
        store: SessionStore,
        system: str,
        tools: Sequence[Tool] = (),
        approver: Approver | None = None,
        on_event: Callable[[AgentEvent], None] | None = None,
        owner: str = "m2bridge",
    ) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.system = system
        self.tools = {t.spec.name: t for t in tools if t.spec.name not in settings.tools_deny}
        self.approver = approver
        self.on_event = on_event or (lambda event: None)
        self.owner = owner
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False
        self._lease: Lease | None = None
        self._partial: AssistantTurn | None = None

    def cancel(self) -> None:
        """Stop the running turn; what arrived is kept, marked incomplete. Safe to call from the loop."""
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()

    @contextmanager
    def _cancellable(self) -> Iterator[anyio.CancelScope]:
        """A scope that `cancel()` reaches, already cancelled if a cancel came in before it."""
        with anyio.CancelScope() as scope:
            self._scope = scope
            if self._cancel_requested:
                scope.cancel()
            try:
                yield scope
            finally:
                self._scope = None

    async def run_turn(self, session_id: str, prompt: str, context: Sequence[ContextTurn] = ()) -> TurnResult:
        result = TurnResult(session_id=session_id)
        self._cancel_requested = False
        try:
            with self.store.acquire(
                session_id, self.owner, ttl=max(60.0, self.settings.read_timeout)
            ) as lease:
                self._lease = lease
                await self._run(session_id, prompt, context, result)
        except M2BridgeError as err:
            result.error = err
            result.stop_reason = "error"
        except _Cancelled:
            result.stop_reason, result.incomplete = "cancelled", True
        return result

    # The turn itself -------------------------------------------------------------------------------
    def _append(
        self, session_id: str, turns: Sequence[Turn], head: int, context_tokens: int | None = None
    ) -> int:
        assert self._lease is not None, "appends happen only inside run_turn"
        self._lease.refresh()
        return self.store.append(
            session_id, turns, expected_head=head, lease=self._lease, context_tokens=context_tokens
        )

    async def _run(
        self, session_id: str, prompt: str, context: Sequence[ContextTurn], result: TurnResult
    ) -> None:
        loaded = self.store.load(session_id)
        for warning in loaded.warnings:
            self.on_event(Notice(warning))
        turns: list[Turn] = [s.turn for s in loaded.turns]
        if loaded.info.protocol != self.client.protocol:
            self.on_event(Notice(_switch_notice(loaded.info.protocol, self.client.protocol)))
        new: list[Turn] = [*_repair_dangling(turns), *context, UserTurn(text=prompt)]
        head = self._append(session_id, new, loaded.head)
        turns += new
        compacted_for_overflow = False
        step = 0
        while step < self.settings.max_steps:
            step += 1
            result.steps = step
            self._partial = None
            try:
                turns, head = await self._maybe_compact(session_id, turns, head)
                assistant = await self._model_turn(turns)
            except ModelError as err:
                if err.code == "context_overflow" and not compacted_for_overflow:
                    compacted_for_overflow = True
                    turns, head, did = await self._compact(session_id, turns, head)
                    if did:
                        self.on_event(
                            Notice("The context window was full: older turns were summarised; retrying.")
                        )
                        step -= 1
                        continue
                    err.message += (
                        " m2bridge could not compact it further: start a new session or fork this one."
                    )
                raise
            finally:
                partial = self._partial
                if partial is not None and partial.incomplete:
                    head = self._append(session_id, [partial], head)
                    turns.append(partial)
                    result.text, result.incomplete = partial.text, True
            _add_usage(result, assistant)
            result.context_tokens = assistant.usage.input_tokens + assistant.usage.output_tokens
            head = self._append(session_id, [assistant], head, context_tokens=result.context_tokens)
            turns.append(assistant)
            self.on_event(
                UsageReport(
                    assistant.usage.input_tokens, assistant.usage.output_tokens, result.context_tokens
                )
            )
            result.text = assistant.text
            if not assistant.tool_calls:
                result.stop_reason = "end_turn"
                return
            outcomes = await self._run_tools(assistant.tool_calls, result)
            results_turn = ToolResultsTurn(results=outcomes)
            head = self._append(session_id, [results_turn], head)
            turns.append(results_turn)
            if self._cancel_requested:
                raise _Cancelled
        result.stop_reason = "max_steps"
        result.text = (
            f"{result.text}\n\n[m2bridge stopped after {self.settings.max_steps} steps, the step limit. "
            "Say 'continue' to let M2 go on, or raise max_steps in config.toml.]"
        ).strip()

    async def _model_turn(self, turns: Sequence[Turn]) -> AssistantTurn:
        _, sent = window(turns)
        request = ModelRequest(
            system=self.system,
            turns=sent,
            tools=[t.spec for t in self.tools.values()],
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            top_p=self.settings.top_p,
        )
        exchange = self.client.exchange(request)
        self._partial = None
        with self._cancellable() as scope:
            try:
                async for event in exchange:
                    # Usage is reported once the turn is stored, with the context size.
                    if isinstance(event, (ThinkingDelta, TextDelta)):
                        self.on_event(event)
            except ModelError:
                self._partial = exchange.partial()
                raise
        if scope.cancelled_caught or exchange.turn is None:
            self._partial = exchange.partial()
            raise _Cancelled
        return exchange.turn

    # Tools -----------------------------------------------------------------------------------------
    async def _run_tools(self, calls: Sequence[ToolCall], result: TurnResult) -> list[ToolResult]:
        outcomes: dict[str, ToolOutcome] = {}

        async def run_one(call: ToolCall) -> None:
            self.on_event(ToolStart(call.id, call.name, call.arguments))
            outcome = await self._call_tool(call)
            outcomes[call.id] = outcome
            self.on_event(ToolEnd(call.id, call.name, not outcome.is_error, _summary(outcome.content)))

        with self._cancellable():
            async with anyio.create_task_group() as group:
                for call in calls:
                    group.start_soon(run_one, call)
        results = []
        for call in calls:
            outcome = outcomes.get(call.id) or ToolOutcome(
                "Cancelled by the user before it finished.", is_error=True
            )
            result.tool_calls.append((call.name, not outcome.is_error))
            results.append(
                ToolResult(
                    tool_call_id=call.id,
                    name=call.name,
                    content=outcome.content,
                    is_error=outcome.is_error,
                    artifacts=[dict(a) for a in outcome.artifacts],
                )
            )
        return results

    async def _call_tool(self, call: ToolCall) -> ToolOutcome:
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return ToolOutcome(f"Unknown tool {call.name!r}. Available tools: {known}.", is_error=True)
        if call.arguments_error:
            return ToolOutcome(
                f"Not run: {call.arguments_error}. Send the arguments as a JSON object.", is_error=True
            )
        if tool.spec.destructive:
            approved = self.approver is not None and await self.approver(call.name, call.arguments)
            if not approved:
                return ToolOutcome(
                    f"Not run: the user did not approve {call.name}. "
                    "(In non-interactive mode, destructive tools need --yes.)",
                    is_error=True,
                )
        try:
            return await tool.call(call.arguments)
        except M2BridgeError as err:
            return ToolOutcome(str(err), is_error=True)
        except Exception as err:  # a broken tool must not take the session with it
            return ToolOutcome(f"{call.name} failed: {err.__class__.__name__}: {err}", is_error=True)

    # Compaction ------------------------------------------------------------------------------------
    async def _maybe_compact(self, session_id: str, turns: list[Turn], head: int) -> tuple[list[Turn], int]:
        threshold = self.settings.compact_at * self.settings.context_window
        if context_estimate(turns, len(self.system)) <= threshold:
            return turns, head
        turns, head, did = await self._compact(session_id, turns, head)
        if did:
            self.on_event(Notice("Older turns were summarised to stay within M2's context window."))
        return turns, head

    async def _compact(self, session_id: str, turns: list[Turn], head: int) -> tuple[list[Turn], int, bool]:
        keep = int(self.settings.context_window * (1 - self.settings.compact_at) * 0.5)
        boundary = choose_boundary(turns, keep_tokens=keep)
        if boundary is None:
            return turns, head, False
        _, older = window(turns[:boundary])
        request = ModelRequest(
            system=self.system,
            turns=[*older, UserTurn(text=_SUMMARY_PROMPT)],
            max_tokens=min(self.settings.max_tokens, 8192),
            temperature=self.settings.temperature,
            top_p=self.settings.top_p,
        )
        summary_turn = await self.client.exchange(request).run()
        compaction = CompactionTurn(
            summary=summary_turn.text or summary_turn.thinking,
            replaces_before=boundary,
            tokens_before=context_estimate(turns, len(self.system)),
        )
        head = self._append(session_id, [compaction], head)
        return [*turns, compaction], head, True


def _switch_notice(started: str, now: str) -> str:
    return (
        f"This session started on the {started} protocol; earlier turns are converted best-effort "
        f"for {now} (thinking without a signature may be lost)."
    )


def _repair_dangling(turns: Sequence[Turn]) -> list[Turn]:
    """A complete assistant turn whose tools never reported (the process died): answer them as interrupted."""
    if turns and isinstance(turns[-1], AssistantTurn) and not turns[-1].incomplete and turns[-1].tool_calls:
        return [
            ToolResultsTurn(
                results=[
                    ToolResult(
                        tool_call_id=c.id,
                        name=c.name,
                        content="Not run: m2bridge was interrupted.",
                        is_error=True,
                    )
                    for c in turns[-1].tool_calls
                ]
            )
        ]
    return []


def _add_usage(result: TurnResult, turn: AssistantTurn) -> None:
    result.usage = Usage(
        input_tokens=result.usage.input_tokens + turn.usage.input_tokens,
        output_tokens=result.usage.output_tokens + turn.usage.output_tokens,
    )


def _summary(content: str, limit: int = 120) -> str:
    first = content.strip().splitlines()[0] if content.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def tool_arguments_preview(arguments: Mapping[str, Any], limit: int = 80) -> str:
    text = json.dumps(dict(arguments), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
