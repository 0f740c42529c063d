"""One model client over both wire protocols: streaming, retries, error mapping.

A request becomes an `Exchange`: iterate it for stream events (or `batches()` for one list of them
per network read, the cheap way to relay a long answer), then read `.turn`. Retries happen
only while nothing has reached the caller; once output has been shown, a failure keeps what arrived
(`partial()`) and is reported instead of repeated.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from m2bridge.client.error_mapping import api_error_from_body, error_from_response, error_from_transport
from m2bridge.client.events import RetryScheduled, StreamEvent
from m2bridge.client.request import ModelRequest
from m2bridge.client.sse import SSEDecoder
from m2bridge.client.wire import Assembler, WireProtocol, wire_for
from m2bridge.config import Settings
from m2bridge.errors import ModelError
from m2bridge.messages import AssistantTurn

__all__ = ["Exchange", "ModelClient", "backoff_delay"]

_MAX_BACKOFF = 30.0
_MAX_RETRY_AFTER = 120.0
_DRAIN_SECONDS = 0.25


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """A server's positive Retry-After (capped), else jittered exponential backoff."""
    if retry_after:
        return min(retry_after, _MAX_RETRY_AFTER)
    return random.uniform(0.5, 1.0) * min(_MAX_BACKOFF, 0.5 * 2**attempt)


class ModelClient:
    def __init__(
        self,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        on_retry: Callable[[RetryScheduled], None] | None = None,
    ) -> None:
        """`on_retry` hears of each retry before its wait, so a surface can say what the pause is."""
        self.settings = settings
        self.wire: WireProtocol = wire_for(settings)
        self._key = settings.require_key()
        self.sleep = sleep
        self.on_retry = on_retry
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=settings.connect_timeout, read=settings.read_timeout, write=60.0, pool=30.0
            ),
            # Environment proxies would see the key; a user who needs one sets it deliberately.
            trust_env=False,
        )

    @property
    def protocol(self) -> str:
        return self.wire.name

    def exchange(self, request: ModelRequest, *, stream: bool = True) -> Exchange:
        return Exchange(self, request, stream=stream)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def attempt(
        self, request: ModelRequest, assembler: Assembler, stream: bool
    ) -> AsyncIterator[list[StreamEvent]]:
        """One attempt, no retry, yielding the events of each network read as one batch (what
        `Exchange` retries)."""
        body = self.wire.encode(request, stream=stream)
        headers = self.wire.headers(self._key)
        try:
            async with self._http.stream(
                "POST", self.settings.endpoint, content=body, headers=headers
            ) as response:
                assembler.trace_id = response.headers.get("trace-id")
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise error_from_response(response.status_code, text, response.headers, self.settings)
                content_type = response.headers.get("content-type", "")
                if stream and "text/event-stream" in content_type:
                    # Inline rather than a helper generator: each generator level is a hop per read.
                    decoder = SSEDecoder()
                    chunks = _body_chunks(response)
                    async for chunk in chunks:
                        if batch := decoder.feed(chunk):
                            if events := assembler.feed_events(batch):
                                yield events
                            if assembler.done:
                                await _drain(chunks)
                                break
                    else:
                        if events := assembler.feed_events(decoder.finish()):
                            yield events
                else:
                    payload = _json_or_error(await response.aread(), response.status_code)
                    if (api := api_error_from_body(payload, self.settings, response.headers)) is not None:
                        raise api
                    if events := assembler.feed_json(payload):
                        yield events
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, self.settings) from exc
        except _MISSHAPEN as exc:
            # A server's JSON is outside input: a field missing or of another type surfaces wherever the
            # assemblers read it. However deep, it ends the exchange as one error (what arrived is kept).
            raise ModelError(
                f"The model server sent an answer m2bridge cannot read ({type(exc).__name__}: {exc}); what "
                "arrived before it is kept.",
                code="bad_response",
                trace_id=assembler.trace_id,
            ) from exc
        if not assembler.done:
            raise ModelError(
                "The connection closed mid-answer; what arrived is kept and marked incomplete.",
                code="stream_cut",
                trace_id=assembler.trace_id,
                retryable=True,
            )


# What reading a misshapen answer raises in the decoders and assemblers (ValueError: JSON that is not).
_MISSHAPEN = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _body_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    # An unencoded body (what model servers send) is read raw: one generator hop less per read.
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    return response.aiter_raw() if encoding == "identity" else response.aiter_bytes()


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read the body's end, which servers send right after the last event, so the connection goes
    back to the pool: closing it half-read costs the next request a new connection (and a TLS
    handshake with a hosted API). A server that keeps the stream open is not waited for long."""
    with anyio.move_on_after(_DRAIN_SECONDS):
        try:
            async for _ in chunks:
                pass
        except httpx.HTTPError:
            pass  # the answer is complete; a broken tail only costs the connection


def _json_or_error(raw: bytes, status: int) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ModelError(
            f"The model server sent something that is not JSON (HTTP {status}): {raw[:200]!r}",
            code="bad_response",
            retryable=True,
        ) from exc


class Exchange:
    """One model turn: iterate for events; `.turn` once complete, `partial()` if it stopped early."""

    def __init__(self, client: ModelClient, request: ModelRequest, *, stream: bool) -> None:
        self._client = client
        self._request = request
        self._stream = stream
        self._assembler: Assembler | None = None
        self.turn: AssistantTurn | None = None
        self.retries = 0

    @property
    def trace_id(self) -> str | None:
        return self._assembler.trace_id if self._assembler else None

    def partial(self) -> AssistantTurn | None:
        """What arrived before a failure or cancel, marked incomplete; None if nothing did."""
        if self.turn is not None:
            return self.turn
        if self._assembler is None or self._assembler.empty:
            return None
        return self._assembler.turn(incomplete=True)

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        async for batch in self.batches():
            for event in batch:
                yield event

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """The events in batches, one per network read: the cheap way to relay a long answer."""
        settings = self._client.settings
        attempt = 0
        while True:
            assembler = self._client.wire.assembler(self._request, settings.model)
            self._assembler = assembler
            emitted = False
            try:
                async for batch in self._client.attempt(self._request, assembler, self._stream):
                    emitted = True
                    yield batch
            except ModelError as err:
                if err.trace_id is None:
                    err.trace_id = assembler.trace_id
                if emitted or not err.retryable or attempt >= settings.max_retries:
                    raise
                delay = backoff_delay(attempt, err.retry_after)
                if self._client.on_retry is not None:
                    self._client.on_retry(RetryScheduled(err, delay, attempt + 1, settings.max_retries))
                await self._client.sleep(delay)
                attempt += 1
                self.retries = attempt
                continue
            self.turn = assembler.turn(incomplete=False)
            return

    async def run(self, on_event: Callable[[StreamEvent], None] | None = None) -> AssistantTurn:
        """Drain the exchange; the convenience path for callers that only want the turn."""
        async for event in self:
            if on_event is not None:
                on_event(event)
        assert self.turn is not None
        return self.turn
