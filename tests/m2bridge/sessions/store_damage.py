"""Build a real session store and damage it byte by byte, as a bad disk or a crash could.

Used by the store's recovery tests and by the end-to-end tests of the CLI on a damaged store.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from m2bridge.messages import (
    AssistantTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    UserTurn,
)
from m2bridge.sessions import SessionStore

# Thinking text that must come back byte-identical: tags, astral characters, odd whitespace.
TRICKY = "<think>\n\U0001d518\U0001d52b ü 漢字 🤔 \u200b\u00a0</think>\r\n\ttabs  "


def turns_for(n: int) -> list[Any]:
    """A user turn, an assistant turn with thinking and a tool call, and its results: ~2 KB."""
    return [
        UserTurn(text=f"question {n} " + "q" * 400),
        AssistantTurn(
            protocol="anthropic",
            model="MiniMax-M2",
            blocks=[
                ThinkingBlock(text=TRICKY * 10, signature=f"sig{n}=="),
                TextBlock(text=f"answer {n}"),
                ToolCall(id=f"call_{n}", name="read_file", arguments={"path": f"f{n}.py"}),
            ],
            provider_message={
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": TRICKY * 10, "signature": f"sig{n}=="},
                    {"type": "text", "text": f"answer {n}"},
                    {
                        "type": "tool_use",
                        "id": f"call_{n}",
                        "name": "read_file",
                        "input": {"path": f"f{n}.py"},
                    },
                ],
            },
            stop_reason="tool_use",
        ),
        ToolResultsTurn(results=[ToolResult(tool_call_id=f"call_{n}", name="read_file", content="x" * 300)]),
    ]


def fill(db: Path, sessions: int, *, workspace: str = "/work/project") -> list[str]:
    """`sessions` sessions with long titles (so the sessions table spans several pages), 3 turns each."""
    ids = []
    with SessionStore(db) as store:
        for n in range(sessions):
            info = store.create(
                workspace=workspace,
                protocol="anthropic",
                model="MiniMax-M2",
                title=f"session {n} " + "t" * 300,
            )
            store.append(info.id, turns_for(n), expected_head=0, context_tokens=100 + n)
            ids.append(info.id)
    return ids


def raw_turns(db: Path) -> dict[tuple[str, int], tuple[str, bytes, float]]:
    """Every turn as stored: (session, index) -> (kind, payload bytes, created)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT session_id, idx, kind, CAST(payload AS BLOB), created FROM turns"
        ).fetchall()
    finally:
        conn.close()
    return {(sid, idx): (kind, payload, created) for sid, idx, kind, payload, created in rows}


def raw_sessions(db: Path) -> dict[str, tuple[Any, ...]]:
    """Every session's own fields except its lease."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT id, title, workspace, protocol, model, created, updated, head, context_tokens,"
            " forked_from FROM sessions"
        ).fetchall()
    finally:
        conn.close()
    return {row[0]: row[1:] for row in rows}


def leaf_pages(db: Path, table: str) -> tuple[int, list[int]]:
    """The page size and the numbers of `table`'s leaf pages (the store must be closed: no WAL)."""
    conn = sqlite3.connect(db)
    try:
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        pages = [
            p
            for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
            )
        ]
    finally:
        conn.close()
    return size, pages


def overwrite_page(db: Path, page: int, page_size: int) -> None:
    """Garbage over one whole page, as a bad sector would leave it."""
    with db.open("r+b") as handle:
        handle.seek((page - 1) * page_size)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def damage_leaf(db: Path, table: str, where: float = 0.5) -> int:
    """Overwrite a leaf page of `table` (at `where`, 0 first, 1 last, in key order); return its number."""
    size, pages = leaf_pages(db, table)
    assert len(pages) >= 3, f"{table} needs several leaf pages for this test, has {pages}"
    page = pages[min(len(pages) - 2, max(1, round(where * (len(pages) - 1))))]
    overwrite_page(db, page, size)
    return page


def damage_header(db: Path) -> None:
    """Zero the 100-byte file header: SQLite then says "file is not a database"."""
    with db.open("r+b") as handle:
        handle.write(bytes(100))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
