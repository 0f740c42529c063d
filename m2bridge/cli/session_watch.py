"""`m2bridge sessions watch ID`: a session's turns as `sessions show` prints them, then each new turn as
it lands, from whichever process (or machine, on PostgreSQL) adds it, until Ctrl-C (exit 0) or the
session is removed, or on PostgreSQL is no longer shared with the watcher (exit 1).

New turns come from the store's change feed (`m2bridge.sessions.changes`): the terminal sits idle
while nothing is written, and a turn shows within the feed's interval of being stored (SQLite), or as
soon as PostgreSQL's notification arrives."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Protocol

import anyio.to_thread
from rich.console import Console
from rich.text import Text

from m2bridge.cli.sessions import print_turns
from m2bridge.errors import SessionError, SessionNotFound
from m2bridge.sessions import LoadedSession, SessionInfo, SessionStore
from m2bridge.sessions.changes import change_feed_for
from m2bridge.sessions.display import display_turns, info_json

__all__ = ["watch_session"]


class _Store(Protocol):
    """What watching needs of a store (SQLite's or PostgreSQL's)."""

    def load(self, session_id: str) -> LoadedSession: ...


def watch_session(store: _Store, info: SessionInfo, console: Console, *, as_json: bool) -> int:
    """Follow `info`'s session. With `as_json`, one JSON object a line: the session first, then each turn
    in `sessions show --json`'s display shape."""
    loaded = store.load(info.id)
    if as_json:
        print(json.dumps({"session": info_json(loaded.info)}, ensure_ascii=False), flush=True)
    _show(console, loaded, display_turns(loaded), as_json=as_json, header=True)
    try:
        return asyncio.run(_follow(store, loaded, console, as_json=as_json))
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how a watch ends


async def _follow(store: _Store, loaded: LoadedSession, console: Console, *, as_json: bool) -> int:
    session_id, shown = loaded.info.id, loaded.head
    feed = change_feed_for(store)
    if feed is None:
        raise SessionError(f"the session store {store} has no change feed to watch")
    # On a shared database a session also disappears for its reader when its owner stops sharing it.
    gone = "was removed" if isinstance(store, SessionStore) else "was removed or is no longer shared with you"
    async with feed:
        feed.follow(session_id, shown)
        while True:
            change = await feed.next()
            try:
                if change.turns is None:
                    raise SessionNotFound(session_id)
                loaded = await anyio.to_thread.run_sync(store.load, session_id)
            except SessionNotFound:
                print(f"m2bridge: session {session_id} {gone}", file=sys.stderr)
                return 1
            new = [item for item in display_turns(loaded) if item["index"] >= shown]
            _show(console, loaded, new, as_json=as_json, header=False)
            shown = max(shown, loaded.head)


def _show(
    console: Console, loaded: LoadedSession, turns: list[dict[str, Any]], *, as_json: bool, header: bool
) -> None:
    if as_json:
        for item in turns:
            print(json.dumps(item, ensure_ascii=False), flush=True)
        return
    print_turns(console, loaded.info, turns, header=header)
    if header:
        for warning in loaded.warnings:
            console.print(Text(f"[m2bridge] {warning}", style="yellow"))
    console.file.flush()
