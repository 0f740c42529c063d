"""`m2bridge sessions share ID ROLE` and `m2bridge sessions copy ID --to|--from STORE`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from m2bridge.errors import SessionError
from m2bridge.sessions import Store, StoreLocation, open_store_at
from m2bridge.sessions.copy import copy_session
from m2bridge.sessions.display import info_json
from m2bridge.sessions.postgres.url import hide_password, is_database_url

__all__ = ["copy_command", "share_command"]


def _location(given: str) -> StoreLocation:
    """A postgresql:// URL as given, anything else the path of an SQLite store file."""
    return given if is_database_url(given) else Path(given).expanduser()


def _shown(location: StoreLocation) -> str:
    return hide_password(location) if isinstance(location, str) else str(location)


def share_command(store: Store, args: argparse.Namespace) -> int:
    from m2bridge.sessions.postgres.store import PostgresSessionStore

    if not isinstance(store, PostgresSessionStore):
        raise SessionError(
            "`m2bridge sessions share` needs the PostgreSQL store (M2BRIDGE_DATABASE_URL): an SQLite store "
            "is one user's file; copy the session to a team database: `m2bridge sessions copy ID --to URL`"
        )
    info = store.resolve(args.id)
    store.share(info.id, args.role)
    if args.json:
        print(json.dumps({"shared": info.id, "with": args.role}))
    else:
        print(f"shared {info.id} read-only with {args.role}; they can read and fork it")
    return 0


def copy_command(store: Store, args: argparse.Namespace) -> int:
    other_location = _location(args.to or args.from_)
    other = open_store_at(other_location)
    try:
        source, target = (store, other) if args.to else (other, store)
        copied = copy_session(source, target, args.id)
    finally:
        other.close()
    if args.json:
        print(json.dumps(info_json(copied), ensure_ascii=False))
    else:
        direction = "to" if args.to else "from"
        print(f"copied {copied.id} ({copied.turns} turns) {direction} {_shown(other_location)}")
    return 0
