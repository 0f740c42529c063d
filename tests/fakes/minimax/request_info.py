"""What the fake remembers about each model request it received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

WireProtocol = Literal["anthropic", "openai"]


@dataclass(frozen=True)
class RequestInfo:
    """One model request as received: headers lower-cased, body parsed ({} if it was not JSON)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    protocol: WireProtocol
