"""The failure a tool reports to its caller: a message saying what went wrong and what to do."""

from __future__ import annotations

__all__ = ["ToolFailure"]


class ToolFailure(Exception):
    """Raised inside a tool; becomes an `is_error` result with this message, never a crash."""
