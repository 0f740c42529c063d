"""Server-sent events from a line stream: `event:` and `data:` fields, dispatched on a blank line."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str


class SSEDecoder:
    """Feed lines; get an event when one is complete. Synchronous, so the hot loop adds no await."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, raw: str) -> ServerSentEvent | None:
        # Fast path: most lines of a model stream are data lines.
        if raw[:5] == "data:" and raw[-1:] not in ("\r", "\n"):
            self._data.append(raw[6:] if raw[5:6] == " " else raw[5:])
            return None
        line = raw.rstrip("\r\n")
        if not line:
            return self.flush()
        if line[0] == ":":
            return None  # a comment, used as keep-alive
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def flush(self) -> ServerSentEvent | None:
        event = ServerSentEvent(self._event or "message", "\n".join(self._data)) if self._data else None
        self._event, self._data = "", []
        return event
