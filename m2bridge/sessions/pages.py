"""Rows read straight from an SQLite file's table-leaf pages, without SQLite.

`recover` reads through SQLite first. When a page above the leaves is damaged (an interior page of a
table, or the schema page), SQLite can no longer reach the leaves beneath it, though they are
intact. This reads every table-leaf page of the file directly, following overflow chains, so what
sits on an intact leaf can still be salvaged. Pages on the freelist (freed, holding deleted rows)
are skipped when the freelist can be read. It knows nothing of which table a row belongs to; the
caller recognises rows by their shape and must not trust them further than that.

The format is SQLite's documented file format (https://www.sqlite.org/fileformat2.html): page
header, cell pointer array, varints, record header with serial types, overflow pages.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path

__all__ = ["leaf_rows"]

_LEAF_TABLE = 0x0D
_MAGIC = b"SQLite format 3\x00"
_MAX_OVERFLOW_PAGES = 1 << 16  # a chain longer than this is a loop in damaged data


class _Bad(Exception):
    """This cell (or page) does not parse."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        if at + i >= len(data):
            raise _Bad("varint past the end")
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    raise _Bad("unreachable")


def _values(payload: bytes) -> list[object]:
    header_size, at = _varint(payload, 0)
    if header_size > len(payload):
        raise _Bad("record header past the payload")
    types: list[int] = []
    while at < header_size:
        serial, at = _varint(payload, at)
        types.append(serial)
    values: list[object] = []
    body = header_size
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in sizes:
            n = sizes[serial]
            values.append(int.from_bytes(payload[body : body + n], "big", signed=True))
            body += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[body : body + n]
            # Text as str whose encode("utf-8", "surrogateescape") gives back its exact bytes.
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8", "surrogateescape"))
            body += n
        else:
            raise _Bad("reserved serial type")
        if body > len(payload):
            raise _Bad("record body past the payload")
    return values


class _File:
    def __init__(self, data: mmap.mmap) -> None:
        if data[:16] != _MAGIC:
            raise _Bad("no SQLite header")
        raw = int.from_bytes(data[16:18], "big")
        self.page_size = 65536 if raw == 1 else raw
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            raise _Bad("bad page size")
        self.usable = self.page_size - data[20]
        self.data = data
        self.pages = len(data) // self.page_size

    def page(self, number: int) -> bytes:
        if not 1 <= number <= self.pages:
            raise _Bad("page number out of range")
        start = (number - 1) * self.page_size
        return self.data[start : start + self.page_size]  # one page in memory at a time

    def freelist(self) -> set[int]:
        free: set[int] = set()
        trunk = int.from_bytes(self.data[32:36], "big")
        seen = 0
        try:
            while trunk and trunk not in free and seen < self.pages:
                page = self.page(trunk)
                free.add(trunk)
                count = int.from_bytes(page[4:8], "big")
                free.update(
                    int.from_bytes(page[8 + 4 * i : 12 + 4 * i], "big")
                    for i in range(min(count, (self.usable - 8) // 4))
                )
                trunk = int.from_bytes(page[0:4], "big")
                seen += 1
        except _Bad:
            pass  # a damaged freelist: skip what could be read of it
        return free

    def payload(self, page: bytes, at: int) -> tuple[int, bytes]:
        size, at = _varint(page, at)
        rowid, at = _varint(page, at)
        if rowid >= 1 << 63:
            rowid -= 1 << 64
        most = self.usable - 35
        if size <= most:
            local = size
        else:
            least = (self.usable - 12) * 32 // 255 - 23
            local = least + (size - least) % (self.usable - 4)
            if local > most:
                local = least
        if at + local > len(page):
            raise _Bad("cell past the page")
        parts = [page[at : at + local]]
        remaining = size - local
        if remaining:
            next_page = int.from_bytes(page[at + local : at + local + 4], "big")
            for _ in range(_MAX_OVERFLOW_PAGES):
                if not remaining:
                    break
                overflow = self.page(next_page)
                chunk = overflow[4 : 4 + min(remaining, self.usable - 4)]
                parts.append(chunk)
                remaining -= len(chunk)
                next_page = int.from_bytes(overflow[0:4], "big")
            if remaining:
                raise _Bad("overflow chain too long")
        return rowid, b"".join(parts)


def leaf_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(rowid, column values) of every cell that parses on every table-leaf page not on the freelist.

    Text comes as str (undecodable bytes as surrogates: `encode("utf-8", "surrogateescape")`
    restores them exactly), blobs as bytes. A file without a valid header yields nothing."""
    with path.open("rb") as handle:
        if path.stat().st_size < 512:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield from _rows(data)


def _rows(data: mmap.mmap) -> Iterator[tuple[int, list[object]]]:
    try:
        file = _File(data)
    except _Bad:
        return
    free = file.freelist()
    for number in range(1, file.pages + 1):
        if number in free:
            continue
        page = file.page(number)
        base = 100 if number == 1 else 0
        if page[base] != _LEAF_TABLE:
            continue
        cells = int.from_bytes(page[base + 3 : base + 5], "big")
        for i in range(min(cells, file.page_size // 2)):
            pointer = base + 8 + 2 * i
            offset = int.from_bytes(page[pointer : pointer + 2], "big")
            try:
                if not base + 8 <= offset < len(page):
                    raise _Bad("cell pointer out of the page")
                rowid, payload = file.payload(page, offset)
                yield rowid, _values(payload)
            except (_Bad, struct.error, IndexError):
                continue
