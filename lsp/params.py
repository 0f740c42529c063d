"""The `m2/*` messages an editor sends, checked before anything acts on them."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pygls.exceptions import JsonRpcInvalidParams

__all__ = [
    "ChatParams",
    "DiagnosticItem",
    "DiagnosticsParams",
    "EditorRange",
    "SelectionParams",
    "SessionParams",
    "parse_arguments",
    "parse_params",
]

MAX_PROMPT = 1_000_000
MAX_URI = 8192
MAX_DIAGNOSTICS = 2000
_LIMIT = 10**9


class _Params(BaseModel):
    # Editors add fields of their own (workDoneToken, partialResultToken): ignored, never an error.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class EditorPosition(_Params):
    line: int = Field(ge=0, le=_LIMIT)
    character: int = Field(ge=0, le=_LIMIT)


class EditorRange(_Params):
    start: EditorPosition
    end: EditorPosition

    def first_line(self) -> int:
        return min(self.start.line, self.end.line)

    def last_line(self) -> int:
        """The last line the range really covers: a range ending at column 0 stops on the line before."""
        start, end = sorted((self.start, self.end), key=lambda p: (p.line, p.character))
        return end.line - 1 if end.character == 0 and end.line > start.line else end.line

    @property
    def empty(self) -> bool:
        return self.start == self.end


class ChatParams(_Params):
    session_id: str | None = Field(default=None, alias="sessionId", min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    work_done_token: str | int | None = Field(default=None, alias="workDoneToken")


class SessionParams(_Params):
    id: str = Field(min_length=1, max_length=200)


class SelectionParams(_Params):
    uri: str = Field(min_length=1, max_length=MAX_URI)
    range: EditorRange


class DiagnosticItem(_Params):
    range: EditorRange
    message: str = Field(max_length=100_000)
    severity: int | None = Field(default=None, ge=1, le=4)
    source: str | None = Field(default=None, max_length=200)
    code: str | int | None = None


class DiagnosticsParams(_Params):
    uri: str = Field(min_length=1, max_length=MAX_URI)
    diagnostics: list[DiagnosticItem] = Field(max_length=MAX_DIAGNOSTICS)


Model = TypeVar("Model", bound=_Params)
Arguments = TypeVar("Arguments")


def parse_params(model: type[Model], raw: object) -> Model:
    """The params as `model`, or a JSON-RPC InvalidParams error that says which field is wrong."""
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in err.errors()[:5]
        )
        raise JsonRpcInvalidParams(f"Invalid params: {problems}") from None


def parse_arguments(shape: type[Arguments], args: tuple[object, ...], command: str) -> Arguments:
    """A command's positional arguments as `shape` (a tuple type), or InvalidParams naming the command."""
    try:
        return TypeAdapter(shape).validate_python(args)
    except ValidationError as err:
        problem = err.errors()[0]
        raise JsonRpcInvalidParams(f"{command}: bad arguments ({problem['msg']})") from None
