"""Strict JSON value comparison that reports the first difference readably."""

from __future__ import annotations

from typing import Any

# Request-only annotations a well-behaved client may add to echoed Anthropic blocks.
TOLERATED_EXTRA_KEYS = frozenset({"cache_control"})
_SHOWN = 60


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _string_difference(expected: str, actual: str, path: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
    if at is None:
        at = min(len(expected), len(actual))
    start = max(0, at - 15)
    return (
        f"{path} differs at char {at} (lengths {len(expected)} vs {len(actual)}): "
        f"expected …{show(expected[start : at + 30])}, got …{show(actual[start : at + 30])}"
    )


def first_difference(expected: Any, actual: Any, path: str) -> str | None:
    """None when equal; types count (1 != 1.0 != True) but dict key order does not."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path} should be an object {show(expected)}, got {show(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} is missing (expected {show(value)})"
            found = first_difference(value, actual[key], f"{path}.{key}")
            if found:
                return found
        for key, value in actual.items():
            if key not in expected and value is not None and key not in TOLERATED_EXTRA_KEYS:
                return f"{path}.{key} is an extra key the fake never sent (got {show(value)})"
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path} should be a list {show(expected)}, got {show(actual)}"
        for i, (want, got) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(want, got, f"{path}[{i}]")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path} has {len(actual)} items, expected {len(expected)}: {show(expected)}"
        return None
    if isinstance(expected, str) and isinstance(actual, str):
        return None if expected == actual else _string_difference(expected, actual, path)
    if type(expected) is not type(actual) or expected != actual:
        return f"{path} differs: expected {show(expected)}, got {show(actual)}"
    return None
