"""Type names as a user reads them in an error: "an integer", "an object", never "a int".

Messages that name an expected type used to paste a Python type's `__name__` after a fixed "a"
("must be a int"). Python's names also mean little to someone editing a TOML or JSON file, so the
common ones are spelled as JSON Schema and TOML users know them.
"""

from __future__ import annotations

__all__ = ["a_type"]

_NAMED = {
    # Python type names
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "dict": "an object",
    "list": "an array",
    "tuple": "an array",
    "NoneType": "null",
    # JSON Schema type names
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def a_type(kind: type | str) -> str:
    """The type's name with its article: `a_type(int)` is "an integer", `a_type("object")` "an object"."""
    name = kind if isinstance(kind, str) else kind.__name__
    if name in _NAMED:
        return _NAMED[name]
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
