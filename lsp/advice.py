"""Model and session errors as the editor shows them: what went wrong and what to do there."""

from __future__ import annotations

from m2bridge.errors import M2BridgeError

__all__ = ["error_message"]

_WHAT_TO_DO = {
    "config": (
        "Set MINIMAX_API_KEY in the environment your editor starts `m2bridge lsp` from (in VS Code: the "
        "command “m2bridge: Set API Key”), then try again."
    ),
    "auth": (
        "If your key is from the other region, set the editor setting m2bridge.host to that region's host."
    ),
    "context_overflow": (
        "Start a new session (command m2.newSession), or fork this one in a terminal: "
        "m2bridge sessions fork ID."
    ),
    "session_busy": "Another m2bridge is in a turn on this session: wait for it, or start a new session.",
    "session_moved_on": "Another m2bridge added to this session meanwhile: send the message again.",
    "session_not_found": "Pick a session from the session list, or start a new one.",
    "store_unavailable": (
        "What M2 sent is kept on this machine; the next message in this session writes it first, once "
        "the session store is reachable again."
    ),
}


def error_message(err: M2BridgeError) -> str:
    advice = _WHAT_TO_DO.get(err.code, "")
    return f"m2bridge: {err}" + (f" {advice}" if advice else "")
