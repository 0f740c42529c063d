"""`m2bridge sessions list|show|export|fork|rm|watch|share|copy|recover`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from m2bridge.cli.render import console_for
from m2bridge.cli.runtime import open_runtime, open_settings
from m2bridge.errors import SessionError
from m2bridge.messages import TurnAdapter
from m2bridge.sessions import LoadedSession, SessionInfo, spool
from m2bridge.sessions.display import display_turns, info_json

__all__ = ["print_turns", "run_sessions"]


def _when(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def run_sessions(args: argparse.Namespace) -> int:
    if args.action == "recover":
        return _recover(args)
    runtime = open_runtime(quiet=args.json)
    store = runtime.store
    console = console_for(sys.stdout)  # off a terminal, long lines pass through whole
    if args.action == "list":
        infos = store.list()
        if args.json:
            print(json.dumps([info_json(i) for i in infos], ensure_ascii=False))
            return 0
        table = Table("id", "updated", "turns", "title", "workspace", box=None)
        for info in infos:
            here = "*" if info.workspace == str(runtime.workspace) else ""
            table.add_row(info.id, _when(info.updated), str(info.turns), info.title, info.workspace + here)
        console.print(table if infos else "no sessions yet")
        return 0
    if args.action in ("share", "copy"):
        from m2bridge.cli.session_moves import copy_command, share_command

        return (share_command if args.action == "share" else copy_command)(store, args)
    info = store.resolve(args.id)
    if args.action == "watch":
        from m2bridge.cli.session_watch import watch_session

        return watch_session(store, info, console, as_json=args.json)
    if args.action == "fork":
        forked = store.fork(info.id)
        print(json.dumps(info_json(forked)) if args.json else forked.id)
        return 0
    if args.action == "rm":
        store.remove(info.id)
        print(json.dumps({"removed": info.id}) if args.json else f"removed {info.id}")
        return 0
    loaded = store.load(info.id)
    if args.action == "export":
        turns = [
            {"index": s.index, "created": s.created, "turn": json.loads(TurnAdapter.dump_json(s.turn))}
            for s in loaded.turns
        ]
        print(json.dumps({"session": info_json(loaded.info), "turns": turns}, ensure_ascii=False, indent=1))
        return 0
    turns = display_turns(loaded)
    unsaved = _unsaved_notes(runtime.settings.home, str(store.path), loaded)
    if args.json:
        shown: dict[str, Any] = {"session": info_json(loaded.info), "turns": turns}
        if unsaved:
            shown["unsaved"] = unsaved
        print(json.dumps(shown, ensure_ascii=False))
        return 0
    print_turns(console, loaded.info, turns)
    for warning in loaded.warnings:
        console.print(Text(f"[m2bridge] {warning}", style="yellow"))
    for note in unsaved:
        console.print(Text(f"[m2bridge] {note['message']}", style="yellow"))
    return 0


def _unsaved_notes(home: Path, store: str, loaded: LoadedSession) -> list[dict[str, Any]]:
    """Turns of this session kept on this machine because the store could not take them (spool.py)."""
    unsaved = spool.pending(home, store, loaded.info.id)
    restore = spool.plan(unsaved.entries, loaded.turns, loaded.head)
    notes: list[dict[str, Any]] = []
    for entry in unsaved.entries:
        turns = entry.turns()
        what = spool.describe(turns) if turns is not None else f"{len(entry.payloads)} turn(s)"
        if entry in restore.saved:
            continue  # stored after all; the next turn drops them from the spool
        if entry in restore.written:
            when = "they are written when the session's next turn starts"
        else:
            when = "the session moved on since, so they will not be written by its next turn"
        notes.append(
            {
                "turns": len(entry.payloads),
                "after_turn": entry.after_head,
                "kept_in": str(unsaved.path),
                "written_next_turn": entry in restore.written,
                "message": (
                    f"not saved yet: {what}, meant to follow turn #{entry.after_head} ({entry.reason}); "
                    f"kept in {unsaved.path}; {when}"
                ),
            }
        )
    if unsaved.unreadable:
        notes.append(
            {
                "turns": None,
                "kept_in": str(unsaved.path),
                "message": f"{unsaved.unreadable} line(s) of {unsaved.path} could not be read",
            }
        )
    return notes


def print_turns(
    console: Console, info: SessionInfo, turns: list[dict[str, Any]], *, header: bool = True
) -> None:
    """`sessions show`'s rendering (`sessions watch` prints later turns without the header)."""
    if header:
        console.print(
            Text(f"session {info.id} · {info.title} · {info.workspace} · {info.protocol}", style="bold")
        )
    for item in turns:
        faint = " dim" if item.get("summarised") else ""
        kind = item["kind"]
        if kind == "user":
            console.print(Text(f"\nyou: {item['text']}", style="bold" + faint))
        elif kind == "context":
            console.print(Text(f"[context from {item['source']}] {item['text'][:200]}", style="dim"))
        elif kind == "assistant":
            label = "M2 (incomplete)" if item["incomplete"] else "M2"
            for block in item["blocks"]:
                if block["type"] == "thinking":
                    console.print(Text(f"{label} thinking: {block['text']}", style="dim italic"))
                elif block["type"] == "text":
                    console.print(Text(f"{label}: {block['text']}", style=faint.strip() or ""))
                else:
                    args = json.dumps(block["arguments"], ensure_ascii=False)[:120]
                    console.print(Text(f"⚙ {block['name']} {args}", style="cyan" + faint))
        elif kind == "tool_results":
            for result in item["results"]:
                mark = "✗" if result["is_error"] else "✓"
                first = (result["content"].strip().splitlines() or [""])[0][:120]
                console.print(Text(f"  {mark} {result['name']}: {first}", style="dim"))
                artifacts: list[dict[str, str]] = result.get("artifacts") or []
                for artifact in artifacts:
                    where = artifact.get("path") or artifact.get("url", "")
                    console.print(Text(f"    ▣ {artifact.get('kind', 'file')}: {where}", style="green"))
        elif kind == "compaction":
            console.print(
                Text(
                    f"──── turns before #{item['replaces_before']} are summarised above this line; "
                    f"M2 sees this summary instead ────\n{item['summary']}",
                    style="magenta",
                )
            )


def _recover(args: argparse.Namespace) -> int:
    from m2bridge.sessions.recover import recover

    settings, _ = open_settings(quiet=args.json)
    if settings.database_url:
        raise SessionError(
            "`m2bridge sessions recover` salvages a damaged SQLite store; this m2bridge keeps its sessions "
            "in PostgreSQL (M2BRIDGE_DATABASE_URL), whose own tools (backups, pg_amcheck) look after it"
        )
    report = recover(settings.sessions_db)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return 0
    print(
        f"recovered {report.sessions} sessions and {report.turns} turns into {report.store}"
        + (" (after rebuilding the file's header)" if report.header_rebuilt else "")
    )
    notes = [
        (report.page_rows, "turn(s) read straight from intact pages that the database could no longer reach"),
        (report.lost_turns, "turn(s) lost, kept as marked gaps so the sessions keep their numbering"),
        (
            report.rebuilt_sessions,
            "session(s) rebuilt from their turns (their title and workspace were lost)",
        ),
        (report.unreadable_rows, "unreadable record(s) skipped"),
        (report.skipped_ranges, "damaged stretch(es) of the file passed over"),
    ]
    for count, what in notes:
        if count:
            print(f"  {count} {what}")
    if not report.readable:
        print("  nothing in the damaged file could be read; the new store starts empty")
    print(f"the damaged file is kept as {report.kept_as}")
    return 0
