"""`ModelTool`: the engine's `Tool` written as a pydantic argument model plus one async method.

The model's JSON schema is what MCP clients and M2 are shown; arguments are validated against it before
the tool runs, and a `ToolFailure` raised inside becomes an `is_error` outcome with its message. Nothing
is built before it is needed: a model's validator on the tool's first call, its schema when the tool is
first listed (`mcp_tools.schemas` keeps schemas from one start to the next).
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from m2bridge.tools import Tool, ToolOutcome, ToolSpec
from mcp_tools.failure import ToolFailure
from mcp_tools.schemas import schema_of
from mcp_tools.tool_context import ToolContext

__all__ = ["Arguments", "ModelTool", "describe_validation_error"]


class Arguments(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently ignored.

    Built on first use (defer_build): a server lists two dozen tools and a call uses one.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


ArgsT = TypeVar("ArgsT", bound=Arguments)


class ModelTool(Tool, Generic[ArgsT]):
    """A `Tool` whose spec comes from class attributes and whose arguments are a pydantic model."""

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
        return type(self).class_spec()

    @classmethod
    def class_spec(cls) -> ToolSpec:
        """The spec every instance shares, read from the class alone (the tool manifest is made of these)."""
        spec = _specs.get(cls)
        if spec is None:
            spec = _specs[cls] = ToolSpec(
                name=cls.name,
                description=cls.description,
                input_schema=_LazySchema(cls.arguments),
                destructive=cls.destructive,
                read_only=cls.read_only,
                idempotent=cls.idempotent,
                open_world=cls.open_world,
            )
        return spec

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
    problems: list[str] = []
    for item in err.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return f"{tool}: invalid arguments: " + "; ".join(problems)


_specs: dict[type[ModelTool[Any]], ToolSpec] = {}


class _LazySchema(Mapping[str, Any]):
    """A tool's input schema, made (or read from the cache) the first time anything looks into it."""

    def __init__(self, model: type[Arguments]) -> None:
        self._model = model
        self._schema: Mapping[str, Any] | None = None

    def _get(self) -> Mapping[str, Any]:
        if self._schema is None:
            self._schema = schema_of(self._model)
        return self._schema

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Any:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
