"""The interleaved loop: stream a model turn, run the tools it called, append the results, repeat.

Every turn is appended to the store as soon as it is complete, so what was acknowledged survives a
crash; a cancelled or failed model turn is stored marked incomplete and never sent back. Turns the
store cannot take (the database unreachable or dropped, the disk full) are kept on this machine
(`sessions/spool.py`) and the turn ends saying so; the session's next turn writes them first.

Compaction never strands a session. Past `compact_at` of the context window, older turns are
summarised by a separate summary request (a plain-text transcript, see transcript.py). If that request
fails, the turn goes ahead uncompacted while it still fits, compaction is tried again next turn, and a
`Compaction(ok=False)` event says so. When the server refuses a request as too long (MiniMax error
2013 "context window exceeds limit", or a self-hosted vLLM/SGLang 400 whose limit is below
`context_window`), the retry is sized from the refused request, not from `context_window`: it keeps
at most half of it, halves again on a second refusal, and after that the error names the refused
figure and says to lower `context_window`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import anyio

from m2bridge.agent.context_budget import (
    CHARS_PER_TOKEN,
    choose_boundary,
    context_estimate,
    latest_compaction,
    older_than,
    window,
)
from m2bridge.agent.events import AgentEvent, Compaction, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.agent.transcript import transcript
from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError, ModelError, StoreUnavailable
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
from m2bridge.sessions import LoadedSession, SessionStore, spool
from m2bridge.sessions.async_store import AsyncLease, AsyncSessionStore
from m2bridge.tools import Approver, Tool, ToolOutcome, ToolSpec, current_tool_call

__all__ = ["Agent", "TurnResult"]

logger = logging.getLogger("m2bridge.agent")

_SUMMARY_INTRO = "Here is the conversation so far, as a transcript:"
_SUMMARY_PROMPT = (
    "Summarise the conversation so far for your own later use: the user's goals, decisions made, "
    "files touched and their state, what is done and what remains, and any facts you will need. "
    "Be specific and complete; this summary replaces the older turns. Answer with the summary as "
    "text only; do not call tools."
)
# The summary request retries once: a passing blip gets a second try, while a failing server costs two
# tries instead of the main request's max_retries + 1, and the turn then goes ahead without it.
_SUMMARY_RETRIES = 1
_SUMMARY_MAX_TOKENS = 8_192
# After the server refuses a request as too long, what is sent next carries at most this share of the
# refused request's estimate; a second refusal in the same turn shrinks again; a third is reported.
_OVERFLOW_SHRINK = 0.5
_MAX_OVERFLOW_COMPACTIONS = 2


@dataclass
class TurnResult:
    """What a turn did; m2bridge.conversation.schema encodes it (snake_case and camelCase)."""

    session_id: str
    text: str = ""
    stop_reason: str = "end_turn"
    incomplete: bool = False
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    context_tokens: int = 0
    tool_calls: list[tuple[str, bool]] = field(default_factory=list[tuple[str, bool]])
    error: M2BridgeError | None = None
    compactions: list[Compaction] = field(default_factory=list[Compaction])


@dataclass
class _History:
    """The session's turns as loaded and appended in this run, each with its stored index, and the
    list position of the latest compaction (kept up to date here, so no step scans the history)."""

    turns: list[Turn]
    indexes: list[int]
    head: int
    latest: int | None = None

    def __post_init__(self) -> None:
        self.latest = latest_compaction(self.turns)

    def add(self, turns: Sequence[Turn], head: int) -> None:
        for turn in turns:
            if isinstance(turn, CompactionTurn):
                self.latest = len(self.turns)
            self.turns.append(turn)
        self.indexes += range(self.head, head)
        self.head = head


@dataclass
class _CompactionState:
    """Per run_turn: a failed summary is not retried until the next turn; overflow retries are counted."""

    gave_up: bool = False
    overflows: int = 0


class _Cancelled(Exception):
    pass


class Agent:
    def __init__(
        self,
        *,
        settings: Settings,
        client: ModelClient,
        store: SessionStore | AsyncSessionStore,
        system: str,
        tools: Sequence[Tool] = (),
        approver: Approver | None = None,
        on_event: Callable[[AgentEvent], None] | None = None,
        owner: str = "m2bridge",
    ) -> None:
        self.settings = settings
        self.client = client
        # The store's SQLite work (an fsync per append) runs off the event loop, so parallel agents
        # and the surface's own work never wait on each other's disk.
        self.store = store if isinstance(store, AsyncSessionStore) else AsyncSessionStore(store)
        self.system = system
        self.tools = {t.spec.name: t for t in tools if t.spec.name not in settings.tools_deny}
        self.approver = approver
        self.on_event: Callable[[AgentEvent], None] = on_event or _ignore
        self.owner = owner
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False
        self._lease: AsyncLease | None = None
        self._partial: AssistantTurn | None = None
        # The smallest request (estimated tokens) a server refused as too long: its real limit is
        # below that, whatever context_window says, so compaction aims under it from then on.
        self._server_limit: int | None = None

    def cancel(self) -> None:
        """Stop the running turn; what arrived is kept, marked incomplete. Safe to call from the loop."""
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()

    @contextmanager
    def _cancellable(self) -> Generator[anyio.CancelScope]:
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
            opening: list[Turn] = []
            home, where = self.settings.home, self.store.path
            unsaved: spool.Unsaved | None = None
            restore = spool.Restore()

            def open_turn(loaded: LoadedSession) -> list[Turn]:
                # What an earlier turn could not store goes first, if the session is still where it
                # was; then a call left unanswered (by an interrupted turn, or by those turns) is
                # answered; all in the one transaction that stores the prompt. The spool is read here,
                # in the store's worker thread, so a turn still starts in one trip off the event loop.
                nonlocal restore, unsaved
                unsaved = spool.pending(home, where, session_id)
                restore = spool.plan(unsaved.entries, loaded.turns, loaded.head)
                stored = [s.turn for s in loaded.turns] + restore.turns
                opening[:] = [*restore.turns, *_repair_dangling(stored), *context, UserTurn(text=prompt)]
                return opening

            try:
                lease, loaded, head = await self.store.begin_turn(
                    session_id, self.owner, open_turn, ttl=max(60.0, self.settings.read_timeout)
                )
            except StoreUnavailable as err:
                if unsaved is None:  # the store failed before the opening was made: read it now
                    unsaved = await anyio.to_thread.run_sync(partial(spool.pending, home, where, session_id))
                raise _not_started(err, unsaved) from err
            assert unsaved is not None  # begin_turn made the opening
            await self._settle_spool(session_id, unsaved, restore)
            try:
                self._lease = lease
                await self._run(session_id, result, loaded, opening, head)
            finally:
                await _release(lease)
        except M2BridgeError as err:
            result.error = err
            result.stop_reason = "error"
        except _Cancelled:
            result.stop_reason, result.incomplete = "cancelled", True
        return result

    async def compact(self, session_id: str) -> Compaction:
        """Summarise the older turns now, as a user asks for it between turns; keeps the recent turns
        the threshold would keep. Never raises for a failed summary: the attempt says what happened."""
        lease, loaded, _ = await self.store.begin_turn(
            session_id, self.owner, lambda loaded: [], ttl=max(60.0, self.settings.read_timeout)
        )
        async with lease:
            self._lease = lease
            try:
                history = _History(
                    [s.turn for s in loaded.turns], [s.index for s in loaded.turns], loaded.head
                )
                before, limit = self._estimate(history), self._limit()
                keep = int(limit * (1 - self.settings.compact_at) * 0.5)
                try:
                    after = await self._compact(
                        session_id, history, keep_tokens=keep, request_tokens=int(limit * 0.9)
                    )
                except ModelError as err:
                    text = f"Summarising older turns failed ({err.message}); nothing was changed."
                    return Compaction(text, "request", before, before, False, err.message)
            finally:
                self._lease = None
        if after is None:
            reason = "the conversation is too short: nothing older than the recent turns to summarise"
            return Compaction(f"Nothing was summarised: {reason}.", "request", before, before, False, reason)
        text = f"Older turns were summarised: the context is now about {after:,} tokens (was {before:,})."
        return Compaction(text, "request", before, after, True)

    # The turn itself -------------------------------------------------------------------------------
    async def _append(
        self, session_id: str, history: _History, turns: Sequence[Turn], context_tokens: int | None = None
    ) -> None:
        assert self._lease is not None, "appends happen only inside run_turn"
        # Appending with the lease also refreshes it (taking it back if it expired unclaimed), in the
        # same transaction: one fsync per append.
        try:
            head = await self.store.append(
                session_id,
                turns,
                expected_head=history.head,
                lease=self._lease,
                context_tokens=context_tokens,
            )
        except StoreUnavailable as err:
            # Not a refusal: what M2 returned is kept on this machine, and the turn ends saying so.
            raise await self._keep_unsaved(session_id, history, turns, err) from err
        history.add(turns, head)

    async def _keep_unsaved(
        self, session_id: str, history: _History, turns: Sequence[Turn], err: StoreUnavailable
    ) -> StoreUnavailable:
        what = spool.describe(turns)
        were, they = ("were", "they are") if spool.is_plural(turns) else ("was", "it is")
        # The turn they follow, when the last one stored is readable (its index is the head's previous).
        known = bool(history.indexes) and history.indexes[-1] == history.head - 1
        keep = partial(
            spool.keep,
            self.settings.home,
            self.store.path,
            session_id,
            history.head,
            turns,
            err.message,
            history.turns[-1] if known else None,
        )
        try:
            kept = await anyio.to_thread.run_sync(keep)
        except OSError as lost:
            return StoreUnavailable(
                f"{what} {were} not saved ({err.message}) and could not be kept on this machine either "
                f"({lost}): {they} lost. The session keeps everything stored before."
            )
        failure = StoreUnavailable(
            f"{what} {were} not saved ({err.message}); {they} kept in {kept} and will be written to "
            f"session {session_id} when its next turn starts with the session store reachable again."
        )
        failure.kept = kept
        return failure

    async def _settle_spool(self, session_id: str, unsaved: spool.Unsaved, restore: spool.Restore) -> None:
        """After the turn's opening is stored: drop what it wrote from the spool, say what stays there."""
        done = [e.id for e in (*restore.written, *restore.saved)]
        if done:
            try:
                await anyio.to_thread.run_sync(partial(spool.forget, self.settings.home, session_id, done))
            except OSError as err:  # they are stored: left in the spool, the next turn sees it by their bytes
                logger.warning("stored turns stay in the spool of session %s: %s", session_id, err)
        if restore.written:
            what, were = spool.describe(restore.turns), "were" if spool.is_plural(restore.turns) else "was"
            self.on_event(
                Notice(
                    f"{what} from an earlier turn, kept on this machine while the session store could not "
                    f"take {'them' if were == 'were' else 'it'}, {were} saved to the session now."
                )
            )
        if restore.stranded:
            turns = sum(len(e.payloads) for e in restore.stranded)
            self.on_event(
                Notice(
                    f"{turns} turn(s) of an earlier turn that the session store could not take are still "
                    f"kept in {unsaved.path} and were not written: the session moved on meanwhile (another "
                    "turn was stored after the point they follow). "
                    f"`m2bridge sessions show {session_id}` lists them."
                )
            )

    async def _run(
        self, session_id: str, result: TurnResult, loaded: LoadedSession, opening: Sequence[Turn], head: int
    ) -> None:
        for warning in loaded.warnings:
            self.on_event(Notice(warning))
        history = _History([s.turn for s in loaded.turns], [s.index for s in loaded.turns], loaded.head)
        switched = _switch_notice(history.turns, loaded.info.protocol, self.client.protocol)
        if switched is not None:
            self.on_event(Notice(switched))
        history.add(opening, head)
        state = _CompactionState()
        step = 0
        while step < self.settings.max_steps:
            step += 1
            result.steps = step
            self._partial = None
            try:
                await self._maybe_compact(session_id, history, result, state)
                assistant = await self._model_turn(history)
            except ModelError as err:
                if err.code == "context_overflow" and await self._after_overflow(
                    session_id, history, result, state, err
                ):
                    step -= 1
                    continue
                raise
            finally:
                partial = self._partial
                if partial is not None and partial.incomplete:
                    await self._append(session_id, history, [partial])
                    result.text, result.incomplete = partial.text, True
            _add_usage(result, assistant)
            result.context_tokens = assistant.usage.input_tokens + assistant.usage.output_tokens
            await self._append(session_id, history, [assistant], context_tokens=result.context_tokens)
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
            await self._append(session_id, history, [ToolResultsTurn(results=outcomes)])
            if self._cancel_requested:
                raise _Cancelled
        result.stop_reason = "max_steps"
        result.text = (
            f"{result.text}\n\n[m2bridge stopped after {self.settings.max_steps} steps, the step limit. "
            "Say 'continue' to let M2 go on, or raise max_steps in config.toml.]"
        ).strip()

    async def _model_turn(self, history: _History) -> AssistantTurn:
        _, sent = window(history.turns, history.indexes, latest=history.latest)
        request = ModelRequest(
            system=self.system,
            turns=sent,
            tools=self._tool_specs(sent),
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            top_p=self.settings.top_p,
            top_k=self.settings.top_k,
        )
        exchange = self.client.exchange(request)
        self._partial = None
        with self._cancellable() as scope:
            try:
                # One batch per network read: runs of deltas arrive joined, in order.
                async for batch in exchange.batches():
                    for event in batch:
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

    def _tool_specs(self, sent: Sequence[Turn]) -> list[ToolSpec]:
        """The tools to define. A request whose history carries tool calls or results must define
        tools (Anthropic answers 400 otherwise), so with none available now, the names in the history
        are defined as unavailable; a call to one is answered as an unknown tool."""
        specs = [t.spec for t in self.tools.values()]
        if specs:
            return specs
        names = {c.name for t in sent if isinstance(t, AssistantTurn) for c in t.tool_calls}
        names |= {r.name for t in sent if isinstance(t, ToolResultsTurn) for r in t.results}
        return [ToolSpec(name=n, description="Not available in this session now.") for n in sorted(names)]

    # Tools -----------------------------------------------------------------------------------------
    async def _run_tools(self, calls: Sequence[ToolCall], result: TurnResult) -> list[ToolResult]:
        outcomes: dict[str, ToolOutcome] = {}

        async def run_one(call: ToolCall) -> None:
            current_tool_call.set(call.id)  # this task's own context: parallel calls each see theirs
            self.on_event(ToolStart(call.id, call.name, call.arguments))
            outcome = await self._call_tool(call)
            outcomes[call.id] = outcome
            ok, content = not outcome.is_error, outcome.content
            self.on_event(ToolEnd(call.id, call.name, ok, _summary(content), content))

        with self._cancellable():
            async with anyio.create_task_group() as group:
                for call in calls:
                    group.start_soon(run_one, call)
        results: list[ToolResult] = []
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
        # A broken call first: its markup or JSON may be why the name came out wrong or empty.
        if call.arguments_error:
            return ToolOutcome(
                f"Not run: {call.arguments_error}. Write the call again with well-formed arguments "
                "(a JSON object, or complete <parameter> tags).",
                is_error=True,
            )
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return ToolOutcome(f"Unknown tool {call.name!r}. Available tools: {known}.", is_error=True)
        if tool.spec.destructive:
            if self.approver is None:
                return ToolOutcome(
                    f"Not run: {call.name} changes files or runs commands, and this session has no one "
                    "to approve that.",
                    is_error=True,
                )
            approved = await self.approver(call.name, call.arguments)
            if approved is not True:
                why = f" ({approved})" if isinstance(approved, str) and approved else ""
                return ToolOutcome(f"Not run: the user did not approve {call.name}{why}.", is_error=True)
        try:
            return await tool.call(call.arguments)
        except M2BridgeError as err:
            return ToolOutcome(str(err), is_error=True)
        except Exception as err:  # a broken tool must not take the session with it
            return ToolOutcome(f"{call.name} failed: {err.__class__.__name__}: {err}", is_error=True)

    # Compaction ------------------------------------------------------------------------------------
    def _limit(self) -> int:
        """The context the server takes: context_window, or less once the server refused less."""
        window_setting = self.settings.context_window
        return min(window_setting, self._server_limit) if self._server_limit else window_setting

    def _estimate(self, history: _History) -> int:
        return context_estimate(history.turns, len(self.system), history.indexes, latest=history.latest)

    def _report(self, result: TurnResult, event: Compaction) -> None:
        result.compactions.append(event)
        self.on_event(event)

    async def _maybe_compact(
        self, session_id: str, history: _History, result: TurnResult, state: _CompactionState
    ) -> None:
        limit = self._limit()
        before = self._estimate(history)
        fits = before <= limit
        # After a failed summary the turn goes on uncompacted while it fits; past that, one more try.
        if before <= self.settings.compact_at * limit or (state.gave_up and fits):
            return
        keep = int(limit * (1 - self.settings.compact_at) * 0.5)
        try:
            after = await self._compact(
                session_id, history, keep_tokens=keep, request_tokens=int(limit * 0.9)
            )
        except ModelError as err:
            state.gave_up = True
            then = "this turn goes ahead uncompacted" if fits else "the conversation no longer fits"
            text = (
                f"Summarising older turns failed ({err.message}); {then} at about {before:,} of "
                f"{limit:,} tokens, and compaction will be tried again next turn."
            )
            self._report(result, Compaction(text, "threshold", before, before, False, err.message))
            if not fits:
                raise ModelError(
                    f"The conversation (about {before:,} tokens) no longer fits the context window "
                    f"({limit:,}) and summarising older turns failed: {err.message} "
                    "Try again later, or start a new session or fork this one.",
                    code="compaction_failed",
                    trace_id=err.trace_id,
                ) from None
            return
        if after is not None:
            text = "Older turns were summarised to stay within M2's context window."
            self._report(result, Compaction(text, "threshold", before, after, True))

    async def _after_overflow(
        self,
        session_id: str,
        history: _History,
        result: TurnResult,
        state: _CompactionState,
        err: ModelError,
    ) -> bool:
        """Compact after the server refused the request as too long; True if the step should retry.
        On False, `err` has been given what to do about it."""
        refused = self._estimate(history)
        self._server_limit = min(self._server_limit or refused, refused)
        setting = self.settings.context_window
        advice = (
            f" The server refused about {refused:,} tokens while context_window is {setting:,}: if its "
            "real limit is lower (a self-hosted vLLM or SGLang at its --max-model-len / "
            "--context-length), set context_window in config.toml to that limit."
        )
        if state.overflows >= _MAX_OVERFLOW_COMPACTIONS:
            err.message += (
                f" m2bridge compacted {state.overflows} times in this turn and the server still refused "
                f"the request.{advice}"
            )
            return False
        state.overflows += 1
        target = int(refused * _OVERFLOW_SHRINK)
        summary_tokens = self._summary_tokens(target)
        keep = max(0, target - int(len(self.system) / CHARS_PER_TOKEN) - summary_tokens)
        try:
            after = await self._compact(session_id, history, keep_tokens=keep, request_tokens=target)
        except ModelError as summary_err:
            reason = summary_err.message
            text = f"The context window was full and summarising older turns failed ({reason})."
            self._report(result, Compaction(text, "overflow", refused, refused, False, reason))
            err.message += f" Summarising older turns to make room failed: {reason}{advice}"
            return False
        if after is None:
            reason = "nothing older is left to summarise"
            text = f"The context window was full and {reason}."
            self._report(result, Compaction(text, "overflow", refused, refused, False, reason))
            err.message += " m2bridge could not compact it further: start a new session or fork this one." + (
                advice if refused < setting else ""
            )
            return False
        text = (
            f"The context window was full (the server refused about {refused:,} tokens): older turns "
            f"were summarised, now about {after:,}; retrying."
        )
        if refused < setting:
            text += f" The server's limit is below context_window ({setting:,}); lower it in config.toml."
        self._report(result, Compaction(text, "overflow", refused, after, True))
        return True

    def _summary_tokens(self, request_tokens: int) -> int:
        """The summary's max_tokens: its share of the request budget, within M2's and the user's caps."""
        return max(256, min(self.settings.max_tokens, _SUMMARY_MAX_TOKENS, request_tokens // 4))

    async def _compact(
        self, session_id: str, history: _History, *, keep_tokens: int, request_tokens: int
    ) -> int | None:
        """Summarise the turns before a new boundary and store the summary; the new context estimate,
        or None when nothing can go. Raises ModelError when the summary request fails.

        The summary request (system, transcript and the summary's max_tokens together) stays within
        `request_tokens`, since a self-hosted server counts prompt plus max_tokens against its limit."""
        boundary = choose_boundary(
            history.turns, keep_tokens=keep_tokens, indexes=history.indexes, latest=history.latest
        )
        if boundary is None:
            return None
        summary_tokens = self._summary_tokens(request_tokens)
        room = request_tokens - summary_tokens - int(len(self.system) / CHARS_PER_TOKEN) - 200
        text, _ = transcript(
            older_than(boundary, history.turns, history.indexes, latest=history.latest),
            max_chars=int(max(room, 256) * CHARS_PER_TOKEN),
        )
        request = ModelRequest(
            system=self.system,
            turns=[UserTurn(text=f"{_SUMMARY_INTRO}\n\n{text}\n\n{_SUMMARY_PROMPT}")],
            max_tokens=summary_tokens,
            temperature=self.settings.temperature,
            top_p=self.settings.top_p,
            top_k=self.settings.top_k,
        )
        answer = await self._summary_client().exchange(request).run()
        summary = answer.text.strip() or answer.thinking.strip()
        if not summary:
            raise ModelError("the summary came back empty", code="empty_summary")
        compaction = CompactionTurn(
            summary=summary, replaces_before=boundary, tokens_before=self._estimate(history)
        )
        await self._append(session_id, history, [compaction])
        return self._estimate(history)

    def _summary_client(self) -> ModelClient:
        """The same client (connection pool, retry hook) with fewer retries for the summary request."""
        quick = copy.copy(self.client)
        quick.settings = replace(
            self.client.settings, max_retries=min(_SUMMARY_RETRIES, self.client.settings.max_retries)
        )
        return quick


def _ignore(event: AgentEvent) -> None:
    """The event sink of an agent nobody listens to."""


async def _release(lease: AsyncLease) -> None:
    """Give the turn's lease back. With the store unreachable the lease stays behind; it is taken over
    once it expires or this process is gone, and the turn's own outcome (saved, or kept) stands."""
    try:
        await lease.release()
    except StoreUnavailable as err:
        logger.warning("the turn lease on session %s was not given back: %s", lease.session_id, err)


def _not_started(err: StoreUnavailable, unsaved: spool.Unsaved) -> StoreUnavailable:
    """The turn could not start, so the prompt was not sent to M2; turns still kept from before are named."""
    message = f"{err.message}; the prompt was not sent to M2."
    if unsaved.entries:
        turns = sum(len(e.payloads) for e in unsaved.entries)
        message += (
            f" {turns} turn(s) of an earlier turn are still kept in {unsaved.path}, to be written when the "
            "session store is reachable again."
        )
    return StoreUnavailable(message)


def _switch_notice(turns: Sequence[Turn], started: str, now: str) -> str | None:
    """Said at every switch: when this turn's protocol is not the one the last answer came over.

    Answers from the other protocol go converted best-effort in every later request (see
    `messages.converted_blocks`); the notice comes once per switch, not again on each turn after it.
    """
    answers = [t for t in turns if isinstance(t, AssistantTurn) and not t.incomplete]
    if not answers or answers[-1].protocol == now:
        return None
    other = answers[-1].protocol
    if now == "anthropic":
        how = (
            "thinking goes as <think> text, since Anthropic refuses thinking blocks without a signature; "
            "reasoning_details fields other than the text"
        )
    else:
        how = "thinking goes as <think> text in the content; thinking signatures and redacted thinking"
    return (
        f"This session started on the {started} protocol and last answered over {other}; on {now}, "
        f"its {other} answers are converted best-effort ({how} may be lost)."
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
