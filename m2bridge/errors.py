"""Errors as a small hierarchy, each with a message written for the person who will read it."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "M2BridgeError",
    "ModelError",
    "SessionBusy",
    "SessionError",
    "SessionMovedOn",
    "SessionNotFound",
    "StoreDamaged",
    "StoreUnavailable",
]


class M2BridgeError(Exception):
    """Base of every error m2bridge reports to a user. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, *, trace_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.trace_id = trace_id

    def __str__(self) -> str:
        if self.trace_id:
            return f"{self.message} (MiniMax Trace-Id: {self.trace_id})"
        return self.message

    def as_json(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "trace_id": self.trace_id}


class ConfigError(M2BridgeError):
    code = "config"


class ModelError(M2BridgeError):
    """A failure talking to the model. `retryable` says whether sending the same request again may help."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        trace_id: str | None = None,
        status: int | None = None,
        api_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, trace_id=trace_id)
        self.code = code
        self.status = status
        self.api_code = api_code
        self.retryable = retryable
        self.retry_after = retry_after


class SessionError(M2BridgeError):
    code = "session"


class SessionNotFound(SessionError):
    code = "session_not_found"


class SessionMovedOn(SessionError):
    """Another process appended to the session since this one loaded it."""

    code = "session_moved_on"


class SessionBusy(SessionError):
    """Another process is in the middle of a turn on this session."""

    code = "session_busy"


class StoreDamaged(SessionError):
    """The session store's file is damaged; `m2bridge sessions recover` salvages what is readable."""

    code = "store_damaged"


class StoreUnavailable(SessionError):
    """The session store could not be used just now (the database unreachable or dropped, the disk full
    or read-only, the file locked for too long): not a refusal, so what a turn meant to store is kept
    locally and written later (see `m2bridge.sessions.spool`)."""

    code = "store_unavailable"

    def __init__(self, message: str, *, trace_id: str | None = None) -> None:
        super().__init__(message, trace_id=trace_id)
        # Where a turn's unsaved turns were kept on this machine, when they were (see sessions/spool.py).
        self.kept: Path | None = None
