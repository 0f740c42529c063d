"""Narrowing for values read from outside: `json.loads`, `tomllib`, an editor's or a server's JSON.

Such a value has no type the checker can trust until the code has looked at it. Each guard here checks at
run time exactly what it tells the type checker, so the code past the check reads `str` and `object`
instead of `Any`, and a wrong shape is a branch the code handles rather than an exception deep inside.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeGuard, cast

__all__ = ["JSONObject", "is_json_object", "is_list", "is_mapping", "is_str_list"]

# A JSON object as read: string keys, values still to be checked.
JSONObject = Mapping[str, object]


def is_mapping(value: object) -> TypeGuard[Mapping[object, object]]:
    """Any mapping, its keys and values still unchecked (an editor's settings may have any keys)."""
    return isinstance(value, Mapping)


def is_json_object(value: object) -> TypeGuard[JSONObject]:
    """A mapping whose keys are all strings: every object `json.loads` or `tomllib` makes."""
    if not isinstance(value, Mapping):
        return False
    keys = cast("Mapping[object, object]", value).keys()
    return all(isinstance(key, str) for key in keys)


def is_list(value: object) -> TypeGuard[list[object]]:
    """A list, its items still unchecked."""
    return isinstance(value, list)


def is_str_list(value: object) -> TypeGuard[list[str]]:
    """A list of strings only."""
    return is_list(value) and all(isinstance(item, str) for item in value)
