"""The one schema of a turn's result, and its encoders: snake_case (`chat --json`, `m2_task`) and
camelCase (the language server). The fields are listed once; each encoder is that list under a casing,
so no surface can carry a field the others lack or spell a nested key its own way."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from m2bridge.agent import TurnResult

__all__ = [
    "TURN_FIELDS",
    "Case",
    "Field",
    "camel_case",
    "recased",
    "snake_case",
    "turn_encoder",
    "turn_to_camel",
    "turn_to_snake",
]

Case = Callable[[str], str]


def snake_case(name: str) -> str:
    """The schema's own spelling."""
    return name


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


@dataclass(frozen=True)
class Field:
    """One field of the result: its snake_case name and how it is read (nested keys snake_case too)."""

    name: str
    read: Callable[[TurnResult], Any]


TURN_FIELDS: tuple[Field, ...] = (
    # No session left behind (a first turn M2 never answered, or none opened): null, never "".
    Field("session_id", lambda r: r.session_id or None),
    Field("text", lambda r: r.text),
    Field("stop_reason", lambda r: r.stop_reason),
    Field("incomplete", lambda r: r.incomplete),
    Field("steps", lambda r: r.steps),
    Field(
        "usage",
        lambda r: {"input_tokens": r.usage.input_tokens, "output_tokens": r.usage.output_tokens},
    ),
    Field("context_tokens", lambda r: r.context_tokens),
    Field("tool_calls", lambda r: [{"name": name, "ok": ok} for name, ok in r.tool_calls]),
    Field("error", lambda r: r.error.as_json() if r.error is not None else None),
    Field("compactions", lambda r: [c.as_json() for c in r.compactions]),
)


def recased(value: Any, case: Case, opaque: Collection[str] = ()) -> Any:
    """`value` with every mapping key put through `case`; values under an `opaque` key (what the model
    or a tool wrote, such as a tool call's arguments) are left exactly as they are."""
    if isinstance(value, Mapping):
        mapping = cast("Mapping[str, Any]", value)  # JSON objects: string keys
        return {
            case(key): item if key in opaque else recased(item, case, opaque) for key, item in mapping.items()
        }
    if isinstance(value, list):
        return [recased(item, case, opaque) for item in cast("list[Any]", value)]
    return value


def turn_encoder(case: Case) -> Callable[[TurnResult], dict[str, Any]]:
    """The encoder of TURN_FIELDS under one casing."""

    def encode(result: TurnResult) -> dict[str, Any]:
        return {case(f.name): recased(f.read(result), case) for f in TURN_FIELDS}

    return encode


turn_to_snake = turn_encoder(snake_case)
turn_to_camel = turn_encoder(camel_case)
