"""Tool input schemas as MCP clients and M2 are shown them: the argument model's JSON schema, untitled."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["schema_of"]

_schemas: dict[type[BaseModel], dict[str, Any]] = {}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema without pydantic's titles (noise to a model reading it), made once."""
    schema = _schemas.get(model)
    if schema is None:
        schema = model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        _schemas[model] = schema
    return schema
