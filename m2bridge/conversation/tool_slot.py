"""The tools' lifetime. A surface hands over either its tools (the MCP server's own set, which it
closes itself) or a way to open them (an async context manager, for the engine tools that the terminal
and the editor start); opened ones are opened at the first turn, once, and closed with the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack

import anyio

from m2bridge.tools import Tool

__all__ = ["ToolOpener", "ToolSlot", "ToolSource"]

ToolOpener = Callable[[], AbstractAsyncContextManager[Sequence[Tool]]]
ToolSource = Sequence[Tool] | ToolOpener


class ToolSlot:
    def __init__(self, source: ToolSource) -> None:
        self._source = source
        self._tools: list[Tool] | None = None if callable(source) else list(source)
        self._exits = AsyncExitStack()
        self._lock = anyio.Lock()  # two turns at start-up must not open two tool sets
        self.opened = 0

    async def tools(self) -> list[Tool]:
        async with self._lock:
            if self._tools is None:
                assert callable(self._source)
                opened = await self._exits.enter_async_context(self._source())
                self._tools = list(opened)
                self.opened += 1
            return self._tools

    def reopen(self) -> None:
        """Open a new set for the next turn (the editor's folders changed); the old set's processes live
        until the service closes, since a running turn may still be using them."""
        if callable(self._source):
            self._tools = None

    async def aclose(self) -> None:
        exits, self._exits = self._exits, AsyncExitStack()
        if callable(self._source):
            self._tools = None
        await exits.aclose()
