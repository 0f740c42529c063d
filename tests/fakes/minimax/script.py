"""The steps a test queues on the fake; each model request consumes one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Reply:
    """A final answer: stop_reason end_turn / finish_reason stop."""

    text: str
    thinking: str | None = None


@dataclass(frozen=True)
class CallTools:
    """One assistant turn carrying one or more tool calls."""

    calls: list[tuple[str, dict[str, Any]]]
    text: str = ""
    thinking: str | None = None


FaultKind = Literal[
    "rate_limited", "server_error", "api_error", "cut_stream", "slow_first_byte", "raw_stream"
]


@dataclass(frozen=True)
class Fault:
    """A misbehaviour of the API; build it with the class methods below."""

    kind: FaultKind
    step: Reply | CallTools | None = None
    retry_after: float = 0.0
    code: int = 0
    message: str = ""
    http_status: int = 200
    after_chunks: int = 0
    seconds: float = 0.0
    frames: tuple[str, ...] = ()

    @classmethod
    def rate_limited(cls, retry_after: float = 0.2) -> Fault:
        """HTTP 429 with a Retry-After header and base_resp 1002."""
        return cls("rate_limited", retry_after=retry_after)

    @classmethod
    def server_error(cls) -> Fault:
        """HTTP 500."""
        return cls("server_error", http_status=500)

    @classmethod
    def api_error(cls, code: int, message: str, http_status: int = 200) -> Fault:
        """A MiniMax base_resp error; MiniMax sometimes sends these with HTTP 200."""
        return cls("api_error", code=code, message=message, http_status=http_status)

    @classmethod
    def cut_stream(cls, after_chunks: int, step: Reply | CallTools) -> Fault:
        """Serve `step` but drop the connection after `after_chunks` data events."""
        return cls("cut_stream", step=step, after_chunks=after_chunks)

    @classmethod
    def raw_stream(cls, *frames: str) -> Fault:
        """Answer with exactly these SSE frames (each a whole `event:`/`data:` block), however malformed."""
        return cls("raw_stream", frames=frames)

    @classmethod
    def slow_first_byte(cls, seconds: float, step: Reply | CallTools) -> Fault:
        """Wait `seconds` before the first byte of the response, then serve `step`."""
        return cls("slow_first_byte", step=step, seconds=seconds)


Step = Reply | CallTools | Fault
