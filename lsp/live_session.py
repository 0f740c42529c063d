"""`m2/sessionChanged {sessionId, turns}`: the session the editor shows grew elsewhere (a terminal's
`m2bridge chat`, an MCP `m2_task`, another editor), so the editor can show the new turns at once.

The session the editor shows is the one it last asked for (`m2/session`), or the one this server's
latest turn ran in; `m2.newSession` shows none. It is followed in the store's change feed
(`m2bridge.sessions.changes`), started at the first session shown and stopped at shutdown.

The editor's own turns are not announced: it gets their deltas and their end already. While a turn
of this server runs, no change is sent, and when it ends the feed takes the session's count as it is
then as seen, before changes are sent again. Nothing is lost by that: a turn holds the session's
lease, so no other process adds to it meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from m2bridge.sessions.async_store import AsyncSessionStore
from m2bridge.sessions.changes import ChangeFeed, SessionChange, change_feed_for

__all__ = ["SESSION_CHANGED", "LiveSession"]

SESSION_CHANGED = "m2/sessionChanged"

logger = logging.getLogger(__name__)


class LiveSession:
    def __init__(
        self,
        notify: Callable[[str, Any], None],
        open_store: Callable[[], Awaitable[AsyncSessionStore]],
        feed_for: Callable[[object], ChangeFeed | None] = change_feed_for,
    ) -> None:
        self._notify = notify
        self._open_store = open_store
        self._feed_for = feed_for
        self.shown: str | None = None
        self._feed: ChangeFeed | None = None
        self._feed_store: object = None
        self._pump: asyncio.Task[None] | None = None
        self._turns_running = 0
        self._after_turns: set[asyncio.Task[None]] = set()
        self._closed = False

    # What the editor shows ---------------------------------------------------------------------------
    async def show(self, session_id: str, turns: int) -> None:
        """The editor shows `session_id` with its first `turns` turns."""
        self.shown = session_id
        try:
            feed = await self._running_feed()
        except Exception as err:  # the view is answered all the same, only not kept live
            logger.warning("m2/sessionChanged: cannot follow session %s: %s", session_id, err)
            return
        if feed is not None and self.shown == session_id:
            feed.forget_all()
            feed.follow(session_id, turns)

    def hide(self) -> None:
        """The editor shows no session (a new one starts with the next turn)."""
        self.shown = None
        if self._feed is not None:
            self._feed.forget_all()

    def turn_started(self) -> None:
        self._turns_running += 1

    def turn_ended(self, session_id: str | None) -> None:
        """A turn of this server ended; the editor now shows `session_id`, everything in it up to now."""
        task = asyncio.ensure_future(self._after_turn(session_id))
        self._after_turns.add(task)
        task.add_done_callback(self._after_turns.discard)

    async def _after_turn(self, session_id: str | None) -> None:
        try:
            if session_id is None:
                self.hide()
                return
            self.shown = session_id
            feed = await self._running_feed()
            if feed is not None and self.shown == session_id:
                feed.forget_all()
                await feed.follow_now(session_id)
        except Exception as err:  # the feed is a convenience: it never takes a request or the server down
            logger.warning("m2/sessionChanged: cannot follow session %s: %s", session_id, err)
        finally:
            self._turns_running -= 1

    # The feed ----------------------------------------------------------------------------------------
    async def _running_feed(self) -> ChangeFeed | None:
        if self._closed:
            return None
        store = (await self._open_store()).sync
        if self._feed is not None and self._feed_store is store and self._pump is not None:
            return self._feed
        self._stop_pump()
        feed = self._feed_for(store)
        self._feed_store = store
        if feed is None:
            logger.info("m2/sessionChanged: the session store %s has no change feed yet", store)
            return None
        self._feed = feed
        self._pump = asyncio.ensure_future(self._relay(feed))
        return feed

    async def _relay(self, feed: ChangeFeed) -> None:
        try:
            async for change in feed:
                self._changed(change)
        except Exception as err:  # the store went away: the next session shown starts a new feed
            logger.warning("m2/sessionChanged: the change feed stopped: %s", err)
            if self._feed is feed:
                self._pump = None
        finally:
            await feed.aclose()

    def _changed(self, change: SessionChange) -> None:
        if change.session_id != self.shown or change.turns is None or self._turns_running:
            return
        self._notify(SESSION_CHANGED, {"sessionId": change.session_id, "turns": change.turns})

    def _stop_pump(self) -> None:
        pump, self._pump, self._feed = self._pump, None, None
        if pump is not None:
            pump.cancel()

    async def close(self) -> None:
        """Stop following (at shutdown)."""
        self._closed = True
        pump = self._pump
        self._stop_pump()
        waiting = {*self._after_turns, *([pump] if pump is not None else [])}
        for task in self._after_turns:
            task.cancel()
        if waiting:
            await asyncio.wait(waiting)
