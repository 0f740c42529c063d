"""Taking back a session whose first turn never got an answer, so failed starts leave no empty sessions.

A surface creates a session just before the first turn (the agent needs its id to lease and append), and
the agent stores the user's prompt before asking M2. When that first request fails (no connection, a
server error, a rejected key) or is stopped before anything arrives, the session would hold nothing but
the prompt; the surface that created it calls `drop_if_unanswered` and the store looks as if it had never
started. A session holding anything M2 sent (even an incomplete answer) is kept: history is sacred.
"""

from __future__ import annotations

from m2bridge.errors import SessionError
from m2bridge.messages import ContextTurn, UserTurn
from m2bridge.sessions.contract import Store

__all__ = ["drop_if_unanswered"]


def drop_if_unanswered(store: Store, session_id: str, owner: str) -> bool:
    """Remove the session if it holds only what the user sent; True if it was removed.

    Checked and removed under the session's lease, so no other process can add a turn in between; a
    session that another process is using, or whose records cannot all be read, is left alone."""
    try:
        with store.acquire(session_id, owner):
            loaded = store.load(session_id)
            if loaded.warnings or any(not isinstance(s.turn, (UserTurn, ContextTurn)) for s in loaded.turns):
                return False
            # Forced past our own lease (held just above); nobody else's can be live while we hold it.
            store.remove(session_id, force=True)
            return True
    except SessionError:
        return False
