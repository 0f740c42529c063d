"""Faults queued per path on FakeMedia, each consumed by one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["api_error", "http", "timeout", "disconnect"]


@dataclass(frozen=True)
class MediaFault:
    kind: FaultKind
    code: int = 0
    message: str = ""
    http_status: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    mid_body: bool = False

    @classmethod
    def api_error(cls, code: int, message: str, http_status: int = 200) -> MediaFault:
        """A MiniMax error in base_resp (1002 rate limit, 1004 auth, 1008 insufficient balance,
        2013 invalid params, 2038 verification required, 2049 invalid api key); nothing is created."""
        return cls("api_error", code=code, message=message, http_status=http_status)

    @classmethod
    def http(cls, status: int, retry_after: float | None = None) -> MediaFault:
        """A bare HTTP error (429 with Retry-After, 500, 502...); nothing is created."""
        return cls("http", http_status=status, retry_after=retry_after)

    @classmethod
    def timeout(cls, seconds: float) -> MediaFault:
        """Do the work (a paid job IS created), then stall `seconds` before answering, so a client's
        read timeout fires first; the job is recorded with answered=False if the client gave up."""
        return cls("timeout", seconds=seconds)

    @classmethod
    def disconnect(cls, mid_body: bool = False) -> MediaFault:
        """Close the connection without a response (nothing created); with mid_body=True the job IS
        created and the connection drops halfway through the response body."""
        return cls("disconnect", mid_body=mid_body)
