"""The page reader gives back exactly what SQLite itself reads, straight from the file's leaf pages.

SQLite only: the file format itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from m2bridge.sessions.pages import leaf_rows


def build(path: Path) -> list[tuple[int, list[object]]]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("CREATE TABLE t (a TEXT, b INTEGER, c REAL, d BLOB, e)")
    rows = [
        ("short", 1, 0.5, b"\x00\x01", None),
        ("漢字 🤔 \u200b" * 3, -(2**63), 1e300, b"", 2**40),
        ("x" * 50_000, 2**63 - 1, -0.0, bytes(range(256)) * 20, "tail"),  # overflow pages
        ("y" * 3000, 0, 3.0, b"z", 1),
    ]
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    # Bytes that are not UTF-8, stored as TEXT: they must come back byte for byte.
    conn.execute("INSERT INTO t VALUES (CAST(? AS TEXT), 7, 1.0, NULL, NULL)", (b"\xff\xfe bad \xc3",))
    conn.commit()
    expected = [
        (rowid, [a, b, c, d, e])
        for rowid, a, b, c, d, e in conn.execute("SELECT rowid, CAST(a AS BLOB), b, c, d, e FROM t")
    ]
    conn.close()
    return expected


def test_every_row_of_every_leaf_comes_back_exactly_as_sqlite_reads_it(tmp_path):
    db = tmp_path / "t.db"
    expected = build(db)
    found = []
    for rowid, values in leaf_rows(db):
        if len(values) == 5 and isinstance(values[0], str) and isinstance(values[1], int):
            values[0] = values[0].encode("utf-8", "surrogateescape")
            found.append((rowid, values))
    assert found == expected


def test_a_file_without_a_header_or_too_short_yields_nothing(tmp_path):
    db = tmp_path / "t.db"
    build(db)
    with db.open("r+b") as handle:
        handle.write(bytes(100))
    assert list(leaf_rows(db)) == []
    tiny = tmp_path / "tiny.db"
    tiny.write_bytes(b"SQLite format 3\x00")
    assert list(leaf_rows(tiny)) == []


def test_garbage_pages_are_passed_over_without_an_error(tmp_path):
    db = tmp_path / "t.db"
    expected = build(db)
    data = bytearray(db.read_bytes())
    for page in range(2, len(data) // 1024):  # every page but the first: flag bytes kept, cells garbled
        start = page * 1024
        data[start + 8 : start + 1024] = b"\xff" * (1024 - 8)
    db.write_bytes(bytes(data))
    rows = list(leaf_rows(db))
    assert len(rows) <= len(expected)
