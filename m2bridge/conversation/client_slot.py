"""The model client's lifetime: one client serves every turn, built at the first, closed once.

A surface whose settings change (the editor's) gets a new client for the next turn; the old one may still
be serving a running turn, so it is kept and closed with the rest."""

from __future__ import annotations

from collections.abc import Callable

from m2bridge.client.events import RetryScheduled
from m2bridge.client.model import ModelClient
from m2bridge.config import Settings

__all__ = ["ClientSlot"]


class ClientSlot:
    def __init__(self, on_retry: Callable[[RetryScheduled], None] | None = None) -> None:
        self.on_retry = on_retry
        self._client: ModelClient | None = None
        self._retired: list[ModelClient] = []
        self.built = 0  # how many clients were built: one per distinct settings object

    def client(self, settings: Settings) -> ModelClient:
        """The client for these settings (ConfigError without a key, before anything is sent)."""
        if self._client is None or self._client.settings is not settings:
            fresh = ModelClient(settings, on_retry=self.on_retry)
            self.built += 1
            if self._client is not None:
                self._retired.append(self._client)
            self._client = fresh
        return self._client

    async def aclose(self) -> None:
        clients = [*self._retired, *([self._client] if self._client is not None else [])]
        self._retired, self._client = [], None
        for client in clients:
            await client.aclose()
