"""The seam between the client and a wire protocol: render a request, assemble a response."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

from m2bridge.client.events import StreamEvent, coalesced
from m2bridge.client.request import ModelRequest
from m2bridge.client.sse import ServerSentEvent
from m2bridge.config import Settings
from m2bridge.messages import AssistantTurn

__all__ = ["Assembler", "WireProtocol", "wire_for"]


class Assembler(ABC):
    """Builds one assistant turn from wire data, yielding display events as it goes."""

    trace_id: str | None = None

    @abstractmethod
    def feed_sse(self, sse: ServerSentEvent) -> list[StreamEvent]: ...

    def feed_events(self, batch: list[ServerSentEvent]) -> list[StreamEvent]:
        """The display events of one network read's worth of SSE events, runs of deltas joined.
        Events after the end of the answer are ignored."""
        events: list[StreamEvent] = []
        for sse in batch:
            events += self.feed_sse(sse)
            if self.done:
                break
        return coalesced(events)

    @abstractmethod
    def feed_json(self, body: object) -> list[StreamEvent]: ...

    @property
    @abstractmethod
    def done(self) -> bool: ...

    @property
    @abstractmethod
    def empty(self) -> bool: ...

    @abstractmethod
    def turn(self, *, incomplete: bool) -> AssistantTurn: ...


class WireProtocol(Protocol):
    name: str

    def body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]: ...

    def encode(self, request: ModelRequest, *, stream: bool) -> bytes:
        """The body as sent: JSON, each stored turn serialised once per client (see rendered.py)."""
        ...

    def headers(self, key: str | None) -> dict[str, str]: ...

    def assembler(self, request: ModelRequest, model: str) -> Assembler: ...


def wire_for(settings: Settings) -> WireProtocol:
    if settings.api == "anthropic":
        from m2bridge.client.anthropic import AnthropicWire

        return AnthropicWire(settings)
    from m2bridge.client.openai import OpenAIWire

    return OpenAIWire(settings)
