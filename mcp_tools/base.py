"""A tool written as a pydantic argument model plus one async method, seen by both front doors alike.

The model's JSON schema is what MCP clients and M2 are shown; arguments are validated against it before
the tool runs, and a `ToolFailure` raised inside becomes an `is_error` outcome with its message.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from m2bridge.tools import ToolOutcome, ToolSpec
from mcp_tools.context import ToolContext
from mcp_tools.errors import ToolFailure

__all__ = ["Arguments", "ModelTool", "describe_validation_error"]


class Arguments(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


ArgsT = TypeVar("ArgsT", bound=Arguments)


class ModelTool(ABC, Generic[ArgsT]):
    name: ClassVar[str]
    description: ClassVar[str]
    arguments: ClassVar[type[Arguments]]
    read_only: ClassVar[bool] = False
    destructive: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False
    open_world: ClassVar[bool] = False
    ctx: ToolContext

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            description=self.description,
            input_schema=_schema_of(self.arguments),
            destructive=self.destructive,
            read_only=self.read_only,
            idempotent=self.idempotent,
            open_world=self.open_world,
        )

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        outcome = await self._validated_run(arguments)
        redacted = self.ctx.redact(outcome.content)
        return outcome if redacted is outcome.content else dataclasses.replace(outcome, content=redacted)

    async def _validated_run(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        try:
            parsed = self.arguments.model_validate(dict(arguments))
        except ValidationError as err:
            return ToolOutcome(describe_validation_error(self.name, err), is_error=True)
        try:
            return await self.run(parsed)  # type: ignore[arg-type]
        except ToolFailure as failure:
            return ToolOutcome(f"{self.name}: {failure}", is_error=True)
        except OSError as err:
            # The system refused (name too long, permission denied...): the caller's to fix, not a crash.
            what = f" ({err.filename})" if isinstance(err.filename, str) and len(err.filename) < 300 else ""
            return ToolOutcome(f"{self.name}: {err.strerror or err}{what}", is_error=True)

    @abstractmethod
    async def run(self, args: ArgsT) -> ToolOutcome: ...


def describe_validation_error(tool: str, err: ValidationError) -> str:
    problems = []
    for item in err.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return f"{tool}: invalid arguments: " + "; ".join(problems)


_schemas: dict[type[Arguments], dict[str, Any]] = {}


def _schema_of(model: type[Arguments]) -> dict[str, Any]:
    if model not in _schemas:
        schema = model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        _schemas[model] = schema
    return _schemas[model]
