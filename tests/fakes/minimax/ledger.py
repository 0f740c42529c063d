"""Every assistant turn the fake emitted, so later requests can be checked against it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.fakes.minimax.compare import first_difference
from tests.fakes.minimax.request_info import WireProtocol


@dataclass(frozen=True)
class EmittedTurn:
    """One assistant turn as the client must send it back."""

    marker: str
    protocol: WireProtocol
    canonical: dict[str, Any]
    tool_ids: tuple[str, ...]
    # Native (unparsed) tool calls: the client invents ids, so only the count can be checked.
    native_invokes: int
    parent: str | None
    complete: bool
    # The thinking as generated, whatever field or tags the wire carried it in.
    thinking: str = ""

    @property
    def expects_tool_results(self) -> bool:
        return bool(self.tool_ids) or self.native_invokes > 0


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: dict[str, EmittedTurn] = {}
        self._by_tool_id: dict[str, str] = {}

    def record(self, turn: EmittedTurn) -> None:
        with self._lock:
            self._turns[turn.marker] = turn
            for tool_id in turn.tool_ids:
                self._by_tool_id[tool_id] = turn.marker

    def all(self) -> list[EmittedTurn]:
        with self._lock:
            return list(self._turns.values())

    def by_marker(self, marker: str, protocol: WireProtocol) -> EmittedTurn | None:
        with self._lock:
            turn = self._turns.get(marker)
        return turn if turn is not None and turn.protocol == protocol else None

    def by_tool_id(self, tool_id: str, protocol: WireProtocol) -> EmittedTurn | None:
        with self._lock:
            marker = self._by_tool_id.get(tool_id)
        return None if marker is None else self.by_marker(marker, protocol)

    def by_value(self, message: Any, protocol: WireProtocol) -> list[EmittedTurn]:
        """Turns whose canonical message equals `message` exactly (for turns without ids or markers)."""
        return [
            t
            for t in self.all()
            if t.protocol == protocol and first_difference(t.canonical, message, "message") is None
        ]

    def chain(self, turn: EmittedTurn) -> list[EmittedTurn]:
        """The turn's ancestors, oldest first, ending with the turn itself."""
        chain = [turn]
        with self._lock:
            while chain[-1].parent is not None:
                chain.append(self._turns[chain[-1].parent])
        chain.reverse()
        return chain
