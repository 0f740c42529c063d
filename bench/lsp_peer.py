"""A bare pygls language server answering `m2/context` with nothing: bench_lsp_context.py's floor.

    python bench/lsp_peer.py

It does only what pygls does: document sync (incremental didChange applied to its in-memory document,
as in ours) and the `m2/*` messages accepted and dropped, so a pygls server doing real work on the same
messages cannot be faster than this one.
"""

from __future__ import annotations

from typing import Any

from pygls.lsp.server import LanguageServer

server = LanguageServer("peer", "1")


@server.feature("m2/context")
def context(ls: LanguageServer, params: Any) -> dict[str, Any]:
    return {"text": None}


@server.feature("m2/selection")
def selection(ls: LanguageServer, params: Any) -> None:
    pass


@server.feature("m2/diagnostics")
def diagnostics(ls: LanguageServer, params: Any) -> None:
    pass


if __name__ == "__main__":
    server.start_io()
