"""`m2bridge sessions recover`: salvage every readable session and turn of a damaged store.

How. The damaged file and its write-ahead log are copied into a private scratch folder beside it
(the originals are only read), and the copy is read table by table in rowid order, one row at a
time. A stretch of rowids that cannot be reached (a damaged page) is skipped by probing past it, so
damage costs only what was on the damaged pages; a row that can be found but not read is counted
and skipped. What was read goes into a fresh store:

* each turn keeps its payload byte-identical, its kind, its creation time and its index;
* a turn known to be missing (a gap in a session's indexes, or short of the head its session
  recorded) becomes a `lost` record, so indexes and heads stay what they were and loading the
  session says what is missing;
* a session whose own record was lost but whose turns survive is rebuilt from them (its workspace
  and title are gone; it is reachable with `--session ID`);
* leases are not carried over.

Then the damaged file is renamed aside with a UTC timestamp (never deleted), its `-wal` and `-shm`
beside it, and the new store takes its place.

A file whose header is damaged ("file is not a database") gets a fresh header in the scratch copy
(the usual page sizes are tried) and is read as above.

It refuses while another process has the store open (where /proc tells, on Linux): such a process
would go on writing into the damaged file once it is set aside, and those turns would be missed.

The columns copied are those of schema version 1; a future migration that adds columns must add
them here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from m2bridge.errors import SessionError
from m2bridge.sessions.pages import leaf_rows
from m2bridge.sessions.schema import APPLICATION_ID, SCHEMA_VERSION, NotASessionStore, SchemaTooNew
from m2bridge.sessions.store import LOST_KIND, SessionStore

__all__ = ["RecoveryReport", "recover"]

_MIN_ROWID = -(2**63)
_MAX_ROWID = 2**63 - 1
# A gap wider than this in a session whose head is unknown is taken for a garbled index, not turns.
_MAX_GAP = 100_000
_ID = re.compile(r"[a-z0-9]{4,64}")
_PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512)
_MAGIC = b"SQLite format 3\x00"

_SESSION_COLUMNS = (
    "id, title, workspace, protocol, model, created, updated, head, context_tokens, forked_from"
)
_TURN_COLUMNS = "session_id, idx, kind, CAST(payload AS BLOB), created"
_SESSION_WIDTH = 13  # every column of a sessions row, as it sits on a page (leases included)
_TURN_WIDTH = 5


@dataclass
class RecoveryReport:
    store: str  # the path of the store, now the recovered one
    kept_as: str  # where the damaged file was renamed to
    sessions: int = 0  # sessions in the recovered store
    turns: int = 0  # turns salvaged, each byte-identical
    lost_turns: int = 0  # turns known to be missing, kept as `lost` records
    rebuilt_sessions: int = 0  # sessions whose own record was lost, rebuilt from their turns
    unreadable_rows: int = 0  # rows found but not readable (or garbled), skipped
    skipped_ranges: int = 0  # stretches of rows passed over because their pages are unreadable
    page_rows: int = 0  # of the turns, those read straight from leaf pages SQLite could not reach
    header_rebuilt: bool = False
    readable: bool = True  # False: not even the list of tables could be read

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Reader:
    """Rows of a damaged database, by rowid, going around what cannot be read."""

    def __init__(self, conn: sqlite3.Connection, report: RecoveryReport) -> None:
        self._conn = conn
        self._report = report

    def _first_at(self, table: str, start: int) -> int | None:
        row = self._conn.execute(
            f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (start,)
        ).fetchone()
        return None if row is None else int(row[0])

    def _reachable(self, table: str, start: int) -> bool:
        try:
            self._first_at(table, start)
        except sqlite3.DatabaseError:
            return False
        return True

    def _skip_past(self, table: str, failed: int) -> int | None:
        """The lowest start after `failed` from which rows can be found again; None: none can."""
        last_bad, step = failed, 1
        while True:
            probe = min(failed + step, _MAX_ROWID)
            if self._reachable(table, probe):
                break
            if probe == _MAX_ROWID:
                return None
            last_bad, step = probe, step * 2
        good = probe
        while good - last_bad > 1:  # narrow down, so rows just past the damage are not skipped too
            middle = (good + last_bad) // 2
            if self._reachable(table, middle):
                good = middle
            else:
                last_bad = middle
        return good

    def rows(self, table: str, columns: str) -> Iterator[tuple[Any, ...]]:
        start: int | None = _MIN_ROWID
        while start is not None:
            try:
                rowid = self._first_at(table, start)
            except sqlite3.DatabaseError:
                self._report.skipped_ranges += 1
                start = self._skip_past(table, start)
                continue
            if rowid is None:
                return
            try:
                row = self._conn.execute(
                    f"SELECT {columns} FROM {table} WHERE rowid = ?", (rowid,)
                ).fetchone()
            except sqlite3.DatabaseError:
                row = None
                self._report.unreadable_rows += 1
            if row is not None:
                yield row
            start = None if rowid == _MAX_ROWID else rowid + 1


# -- opening the damaged copy ----------------------------------------------------------------------


def _header(page_size: int, pages: int, wal: bool) -> bytes:
    version = 2 if wal else 1  # 2: WAL mode, so SQLite also reads the copied -wal file
    header = struct.pack(
        ">16sHBBBBBB12I20s2I",
        _MAGIC,
        1 if page_size == 65536 else page_size,
        version,
        version,
        0,  # reserved bytes per page
        64,
        32,
        32,  # payload fractions, fixed by the file format
        1,  # change counter
        pages,
        0,  # first freelist page: freed pages are simply not reused
        0,  # freelist pages
        1,  # schema cookie
        4,  # schema format
        0,  # default cache size
        0,  # no auto-vacuum
        1,  # UTF-8
        SCHEMA_VERSION,
        0,  # incremental vacuum off
        APPLICATION_ID,
        bytes(20),
        1,  # "version valid for" = change counter, so the page count above is used
        sqlite3.sqlite_version_info[0] * 1_000_000
        + sqlite3.sqlite_version_info[1] * 1000
        + sqlite3.sqlite_version_info[2],
    )
    assert len(header) == 100
    return header


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _open_copy(copy: Path, report: RecoveryReport, path: Path) -> sqlite3.Connection | None:
    """A connection to the scratch copy of `path` whose tables can be listed (its header rebuilt if
    need be); None when not even that works."""
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        tables = _tables(conn)
        _check_ours(conn, tables, path)
    except sqlite3.DatabaseError:
        conn.close()
    except BaseException:
        conn.close()
        raise
    else:
        return conn
    wal = Path(f"{copy}-wal")
    sizes: list[int] = list(_PAGE_SIZES)
    if wal.exists() and wal.stat().st_size >= 32:
        with wal.open("rb") as handle:
            handle.seek(8)
            sizes.insert(0, struct.unpack(">I", handle.read(4))[0])
    original = copy.read_bytes()[:100]
    size = copy.stat().st_size
    for page_size in dict.fromkeys(sizes):
        if page_size not in _PAGE_SIZES or size % page_size:
            continue
        with copy.open("r+b") as handle:
            handle.write(_header(page_size, size // page_size, wal.exists()))
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            if {"sessions", "turns"} <= _tables(conn):
                report.header_rebuilt = True
                return conn
        except sqlite3.DatabaseError:
            pass
        conn.close()
    with copy.open("r+b") as handle:
        handle.write(original)
    return None


def _check_ours(conn: sqlite3.Connection, tables: set[str], path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the session store {path} was written by a newer m2bridge (schema version {version}); "
            "recover it with that version. Nothing was changed."
        )
    if app_id not in (0, APPLICATION_ID) or (tables and not {"sessions", "turns"} <= tables):
        raise NotASessionStore(
            f"{path} is an SQLite database but not an m2bridge session store; nothing was changed"
        )


# -- salvaging -------------------------------------------------------------------------------------


def _add_session(new: sqlite3.Connection, row: tuple[Any, ...] | list[Any], report: RecoveryReport) -> None:
    sid, title, workspace, protocol, model, created, updated, head, context_tokens, forked_from = row
    texts_ok = all(isinstance(v, str) for v in (sid, title, workspace, protocol, model))
    numbers_ok = _is_number(created) and _is_number(updated) and isinstance(context_tokens, int)
    if not (texts_ok and numbers_ok and isinstance(head, int) and head >= 0 and _ID.fullmatch(sid)):
        report.unreadable_rows += 1  # garbled by the damage
        return
    fork = forked_from if isinstance(forked_from, str) else None
    new.execute(
        "INSERT OR IGNORE INTO main.sessions (id, title, workspace, protocol, model, created, updated,"
        " context_tokens, forked_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sid, title, workspace, protocol, model, float(created), float(updated), context_tokens, fork),
    )
    new.execute("INSERT OR IGNORE INTO temp.old_heads VALUES (?, ?)", (sid, head))


def _add_turn(new: sqlite3.Connection, row: tuple[Any, ...] | list[Any], report: RecoveryReport) -> None:
    sid, idx, kind, payload, created = row
    if isinstance(payload, str):  # read from the page itself: back to the exact bytes stored
        payload = payload.encode("utf-8", "surrogateescape")
    if not (
        isinstance(sid, str)
        and _ID.fullmatch(sid)
        and isinstance(idx, int)
        and idx >= 0
        and isinstance(kind, str)
        and isinstance(payload, bytes)
        and _is_number(created)
    ):
        report.unreadable_rows += 1
        return
    new.execute(
        "INSERT OR IGNORE INTO temp.salvaged VALUES (?, ?, ?, ?, ?)",
        (sid, idx, kind, payload, float(created)),
    )


def _salvage_through_sqlite(old: sqlite3.Connection, new: sqlite3.Connection, report: RecoveryReport) -> None:
    if not {"sessions", "turns"} <= _tables(old):
        return  # an empty file: nothing to salvage
    reader = _Reader(old, report)
    for row in reader.rows("sessions", _SESSION_COLUMNS):
        _add_session(new, row, report)
    for row in reader.rows("turns", _TURN_COLUMNS):
        _add_turn(new, row, report)


def _salvage_from_pages(copy: Path, new: sqlite3.Connection, report: RecoveryReport) -> None:
    """Rows on intact leaf pages that SQLite could not reach (a damaged page above them)."""
    before = int(new.execute("SELECT count(*) FROM temp.salvaged").fetchone()[0])
    others = RecoveryReport(store="", kept_as="")  # rows of other tables are not "unreadable" rows
    for _rowid, values in leaf_rows(copy):
        if len(values) == _SESSION_WIDTH:
            # INSERT OR IGNORE: only for a session whose record SQLite could not read.
            _add_session(new, [*values[:9], values[12]], others)
        elif len(values) == _TURN_WIDTH:
            _add_turn(new, values, others)
    report.page_rows = int(new.execute("SELECT count(*) FROM temp.salvaged").fetchone()[0]) - before


def _salvage(
    old: sqlite3.Connection | None, copy: Path, new: sqlite3.Connection, report: RecoveryReport
) -> None:
    new.execute("CREATE TEMP TABLE old_heads (id TEXT PRIMARY KEY, head INTEGER NOT NULL)")
    new.execute(
        "CREATE TEMP TABLE salvaged (session_id TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL,"
        " payload BLOB NOT NULL, created REAL NOT NULL, PRIMARY KEY (session_id, idx))"
    )
    if old is not None:
        try:
            _salvage_through_sqlite(old, new, report)
        finally:
            old.close()  # also folds the copied -wal into the copy, for the page reader below
    # Reading the pages directly is for what SQLite could not reach. With a rebuilt header the
    # freelist is unknown, and freed pages hold deleted rows: those must not come back.
    if (old is None or report.skipped_ranges) and not report.header_rebuilt:
        _salvage_from_pages(copy, new, report)
    _rebuild_lost_sessions(new, report)
    for (sid,) in new.execute("SELECT id FROM main.sessions ORDER BY id").fetchall():
        _restore_turns(new, sid, report)
    report.sessions = int(new.execute("SELECT count(*) FROM main.sessions").fetchone()[0])


def _rebuild_lost_sessions(new: sqlite3.Connection, report: RecoveryReport) -> None:
    orphans = new.execute(
        "SELECT session_id, min(created), max(created) FROM temp.salvaged"
        " WHERE session_id NOT IN (SELECT id FROM main.sessions) GROUP BY session_id"
    ).fetchall()
    for sid, first, last in orphans:
        protocol, model = "anthropic", "unknown"
        for (payload,) in new.execute(
            "SELECT payload FROM temp.salvaged WHERE session_id = ? AND kind = 'assistant' ORDER BY idx",
            (sid,),
        ):
            with contextlib.suppress(ValueError):
                turn: object = json.loads(payload)
                if isinstance(turn, dict):
                    fields = cast("dict[str, Any]", turn)
                    if fields.get("protocol") in ("anthropic", "openai"):
                        protocol, model = str(fields["protocol"]), str(fields.get("model") or model)
                        break
        new.execute(
            "INSERT INTO main.sessions (id, title, workspace, protocol, model, created, updated)"
            " VALUES (?, ?, '', ?, ?, ?, ?)",
            (sid, f"recovered session {sid} (its record was lost)", protocol, model, first, last),
        )
        report.rebuilt_sessions += 1


def _restore_turns(new: sqlite3.Connection, sid: str, report: RecoveryReport) -> None:
    found = new.execute("SELECT head FROM temp.old_heads WHERE id = ?", (sid,)).fetchone()
    head: int | None = None if found is None else int(found[0])
    now = time.time()
    expected = 0

    def lost(up_to: int) -> None:
        nonlocal expected
        placeholder = json.dumps({"kind": LOST_KIND, "note": "lost to damage in the store file"})
        new.executemany(
            "INSERT INTO main.turns (session_id, idx, kind, payload, created) VALUES (?, ?, ?, ?, ?)",
            [(sid, i, LOST_KIND, placeholder, now) for i in range(expected, up_to)],
        )
        report.lost_turns += up_to - expected
        expected = up_to

    rows = new.execute(
        "SELECT idx, kind, payload, created FROM temp.salvaged WHERE session_id = ? ORDER BY idx", (sid,)
    )
    for idx, kind, payload, created in rows:  # streamed: a long session is never all in memory
        if (head is not None and idx >= head) or (head is None and idx - expected > _MAX_GAP):
            report.unreadable_rows += 1  # an index the session never had: garbled
            continue
        lost(idx)
        # CAST keeps the payload's bytes exactly as they were stored, as TEXT like every turn.
        new.execute(
            "INSERT INTO main.turns (session_id, idx, kind, payload, created)"
            " VALUES (?, ?, ?, CAST(? AS TEXT), ?)",
            (sid, idx, kind, payload, created),
        )
        report.turns += 1
        expected = idx + 1
    if head is not None and head - expected <= _MAX_GAP:
        lost(head)


# -- who else has the store open -----------------------------------------------------------------


def _users(path: Path) -> list[str]:
    """Other processes with the store (or its log) open, as "PID (name)"; empty where /proc is absent."""
    wanted = {str(path), f"{path}-wal", f"{path}-shm"}
    found: list[str] = []
    proc = Path("/proc")
    try:
        entries = [e for e in os.scandir(proc) if e.name.isdigit() and int(e.name) != os.getpid()]
    except OSError:
        return []
    for entry in entries:
        try:
            fds = os.listdir(proc / entry.name / "fd")
        except OSError:
            continue  # gone, or another user's: it cannot have our 0600 file open
        for fd in fds:
            try:
                target = os.readlink(proc / entry.name / "fd" / fd)
            except OSError:
                continue
            if target in wanted:
                name = ""
                with contextlib.suppress(OSError):
                    name = (proc / entry.name / "comm").read_text().strip()
                found.append(f"{entry.name} ({name})" if name else entry.name)
                break
    return found


# -- putting the new store in place ----------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while candidate.exists() or Path(f"{candidate}-wal").exists():
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def _swap(path: Path, fresh: Path) -> Path:
    aside = _aside_name(path)
    # The log files first: a -wal left at `path` would be replayed into the new store.
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.rename(side, f"{aside}{suffix}")
    try:
        os.link(path, aside)  # the damaged file keeps its bytes under the new name...
    except OSError:
        os.rename(path, aside)
    os.replace(fresh, path)  # ...and the store's name moves to the new file in one step
    _fsync_dir(path.parent)
    return aside


def recover(path: str | os.PathLike[str]) -> RecoveryReport:
    """Salvage the store at `path` into a new store put in its place; the damaged file is kept aside."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"there is no session store at {path}; nothing to recover")
    users = _users(path.resolve())
    if users:
        raise SessionError(
            f"the session store {path} is open in other processes (pid {', '.join(users)}); stop them "
            "(editor language server, MCP server, chats), then run the recovery again. Nothing was changed."
        )
    scratch = Path(tempfile.mkdtemp(prefix=".recover-", dir=path.parent))
    try:
        copy = scratch / "damaged.db"
        shutil.copyfile(path, copy)
        if Path(f"{path}-wal").is_file():
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")
        report = RecoveryReport(store=str(path), kept_as="")
        fresh = scratch / "recovered.db"
        SessionStore(fresh).close()  # the current schema, file mode 0600
        new = sqlite3.connect(fresh, isolation_level=None)
        try:
            new.execute("PRAGMA foreign_keys = ON")
            old = _open_copy(copy, report, path)
            report.readable = old is not None
            new.execute("BEGIN IMMEDIATE")
            _salvage(old, copy, new, report)
            new.execute("COMMIT")
            # A plain rollback-journal file with no -wal beside it, so nothing is left behind
            # in the scratch folder; the store turns WAL back on when it next opens the file.
            new.execute("PRAGMA journal_mode = DELETE")
        finally:
            new.close()
        with fresh.open("rb+") as handle:
            os.fsync(handle.fileno())
        report.kept_as = str(_swap(path, fresh))
        return report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
