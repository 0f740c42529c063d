"""Strict JSON equality for parser tests: `1`, `1.0` and `True` are three different answers."""

from __future__ import annotations

from typing import Any

__all__ = ["same"]


def same(a: Any, b: Any) -> bool:
    """Equal values of the same JSON types all the way down (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b
