"""pygls hands custom messages to handlers as nested namedtuples; we want the plain JSON, then validate it.

Standard LSP methods still arrive as lsprotocol types: only the generic request, notification and
response wrappers (used for `m2/*` methods and the answers to our own `m2/*` requests) are changed.
"""

from __future__ import annotations

from typing import Any

import attrs
import cattrs
from pygls.exceptions import JsonRpcException
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    LanguageServerProtocol,
    default_converter,
)

__all__ = ["M2Protocol", "converter_factory"]


def _plain(obj: dict[str, Any], cls: type) -> Any:
    names = {field.name for field in attrs.fields(cls)}
    values = {name: value for name, value in obj.items() if name in names}
    # JSON-RPC lets a request or notification leave out `params`; pygls's classes require the field.
    for optional in ("params", "result"):
        if optional in names:
            values.setdefault(optional, None)
    return cls(**values)


def converter_factory() -> cattrs.Converter:
    converter = default_converter()
    for cls in (JsonRPCRequestMessage, JsonRPCNotification, JsonRPCResponseMessage):
        converter.register_structure_hook(cls, _plain)
    return converter


class M2Protocol(LanguageServerProtocol):
    """pygls drops a request whose params it cannot read, and the client waits forever; here that request
    gets its JSON-RPC error (InvalidParams) by id, as JSON-RPC 2.0 asks."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as err:
            request_id = data.get("id")
            if isinstance(data.get("method"), str) and isinstance(request_id, (str, int)):
                self._send_response(request_id, error=err.to_response_error())
            raise
