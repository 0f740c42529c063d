"""RE2, the linear-time engine behind globs and `wait_for`: its options set one way, its refusals worded
one way."""

from __future__ import annotations

import re2

__all__ = ["quiet_options", "refusal"]


def quiet_options() -> re2.Options:
    """Options that report a bad expression to the caller only (RE2 would also print it on stderr)."""
    options = re2.Options()
    options.log_errors = False
    return options


def refusal(err: Exception) -> str:
    """Why RE2 refused an expression, as text (it gives bytes)."""
    message = err.args[0] if err.args else err
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)
