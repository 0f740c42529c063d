"""How the MCP server logs: one plain line per record on stderr, and a peer's mistakes kept out of it.

The SDK's default (rich boxes wrapped at 80 columns, with source excerpts) turns one record into dozens
of lines. A real fault of ours still logs at warning or above, with a plain traceback. A client's mistake
is answered on the wire as the protocol says; the SDK logs some of those at warning all the same, and
they are demoted to debug here, so the log holds only what the person running the server must act on.
"""

from __future__ import annotations

import logging

__all__ = ["configure_logging", "demote_peer_mistakes"]

_FORMAT = "m2bridge mcp: %(levelname)s %(name)s: %(message)s"

# (logger, message template) of what the SDK logs at warning about a message the peer got wrong. The
# templates are matched exactly: a new SDK wording is logged as before, never silently dropped.
_PEER_MISTAKES = {
    ("mcp.server.runner", "dropped %r: malformed params"),  # a notification with bad params, dropped
    ("mcp.server.request_state", "requestState rejected on %s: %s"),  # forged or stale requestState
}


class _Demote(logging.Filter):
    """Turns a peer-mistake record into a debug one, shown only when debug logging is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name, record.msg) not in _PEER_MISTAKES:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demote_peer_mistakes() -> None:
    """Install the demotion on the SDK loggers that log peer mistakes (once per logger)."""
    for name in {name for name, _ in _PEER_MISTAKES}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Demote) for f in logger.filters):
            logger.addFilter(_Demote())


def configure_logging(level: int = logging.WARNING) -> None:
    """Plain one-line records on stderr, unless the process already logs somewhere (a test, an embedder);
    the SDK's own set-up then finds the root logger configured and leaves it alone."""
    logging.basicConfig(level=level, format=_FORMAT)
    demote_peer_mistakes()
