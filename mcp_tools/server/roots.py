"""The roots an MCP client announces, as a narrower path policy for its calls."""

from __future__ import annotations

import logging
import warnings

import anyio
from mcp.server.session import ServerSession
from mcp_types import ListRootsRequest
from pydantic import BaseModel

from mcp_tools.paths import PathPolicy

__all__ = ["client_policy"]

_log = logging.getLogger("m2bridge.mcp")


class _Root(BaseModel):
    uri: str


class _Roots(BaseModel):
    """A roots/list answer read as the wire has it: the SDK's own model refuses the whole list when one
    URI is not file://, where this server keeps the file roots and skips the rest (`PathPolicy.narrowed`)."""

    roots: list[_Root]


async def client_policy(session: ServerSession, base: PathPolicy) -> PathPolicy | None:
    """The client's roots intersected with ours, listed afresh for each call (so a change the client
    announced with roots/list_changed applies at once); None to keep ours. An empty list keeps ours too
    (`PathPolicy.narrowed`). A client that did not announce roots costs nothing here."""
    capabilities = session.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return None
    try:
        with warnings.catch_warnings():
            # Roots are deprecated by the 2026-07-28 revision, but the clients people use still send them.
            warnings.simplefilter("ignore")
            with anyio.fail_after(5):
                listed = await session.send_request(ListRootsRequest(), _Roots)
    except Exception:
        _log.info("the client announced roots but did not list them; keeping the server's roots")
        return None
    return base.narrowed([root.uri for root in listed.roots])
