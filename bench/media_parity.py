"""Writes docs/media-parity.md: our media tools beside MiniMax's own MCP server, both against one fake.

    .venv/bin/python bench/media_parity.py [--out docs/media-parity.md]

Starts the test suite's fake media API (tests/fakes/media) in this process, then `minimax-mcp` (from
bench/.peers, installed by scripts/bench-peers) and ours (`python -m m2bridge mcp --root TMP`) as stdio
servers with the same key, host and resource mode. From each it lists the tools and makes the same calls,
one representative call per tool and a few that should fail, and writes a table: parameter names side by
side and what each call returned. A call counts as a success only when the server says so honestly: the
official server answers failures with ordinary text (is_error false), so its text is read too, and a call
that should save a file succeeds only if a new file appeared.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mcp_peers
from mcp_peers import PEERS, ROOT, ConnectFailed, stray_lines
from media_peers import KEY, Side, content_kinds, fake_media_class, files_under, official, ours, text_of

# The official server's tools, in its own order, and the one it lacks that MiniMax documents.
OFFICIAL_TOOLS = [
    "text_to_audio",
    "list_voices",
    "voice_clone",
    "play_audio",
    "generate_video",
    "query_video_generation",
    "text_to_image",
    "voice_design",
]
TOOLS = [*OFFICIAL_TOOLS, "music_generation"]
LEFT_OUT = {
    "play_audio": "left out on purpose: it plays the file through ffplay on the server's own machine, which "
    "means nothing to a remote client (ours returns audio as MCP audio content and a saved path instead)"
}
SNIPPET = 80
CALL_TIMEOUT = 120.0
# How the official server words a failure it returns as ordinary text.
FAILURE_TEXT = re.compile(
    r"^(Failed|Unexpected error|Video generation FAILED)|API Error|Error executing tool"
)


@dataclass
class Case:
    """One call, made with the same arguments on both servers."""

    tool: str
    label: str
    args: Callable[[Run], dict[str, Any]]
    expect_file: bool | None  # None: a file may or may not come (not judged)
    why: str = ""
    # For failure cases: sets the fake up before the call; returns what undoes it afterwards.
    arrange: Callable[[Any], Callable[[], None]] | None = None


@dataclass
class Outcome:
    is_error: bool | None  # None: no answer (the call raised)
    text: str
    kinds: list[str]
    files: list[Path]
    requests: list[str]
    raised: str = ""


@dataclass
class Run:
    """One server's session: its tools and what each call returned."""

    side: Side
    root: Path
    voice_file: Path
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    task_id: str = ""
    stray: int = 0
    failed_to_start: str = ""


def _task_id(run: Run) -> str:
    return run.task_id or "missing-task-id"


MAIN_CASES = [
    Case("text_to_image", "text_to_image", lambda r: {"prompt": "a red fox"}, True),
    Case("generate_video", "generate_video", lambda r: {"prompt": "waves", "async_mode": False}, True),
    Case(
        "generate_video",
        "generate_video, async_mode true",
        lambda r: {"prompt": "waves", "async_mode": True},
        False,
    ),
    Case("query_video_generation", "query_video_generation", lambda r: {"task_id": _task_id(r)}, True),
    Case("text_to_audio", "text_to_audio", lambda r: {"text": "hello"}, True),
    Case("list_voices", "list_voices", lambda r: {}, False),
    Case(
        "voice_clone",
        "voice_clone",
        lambda r: {"voice_id": "Voice2026test", "file": str(r.voice_file), "text": "hello"},
        None,
    ),
    Case(
        "voice_design",
        "voice_design",
        lambda r: {"prompt": "a warm, calm narrator", "preview_text": "hello there"},
        True,
    ),
    Case(
        "music_generation",
        "music_generation",
        lambda r: {"prompt": "indie folk, calm", "lyrics": "[Verse]\nwaves on the shore"},
        True,
    ),
]


def _empty_balance(fake: Any) -> Callable[[], None]:
    from tests.fakes.media import MediaFault

    fake.fault("/v1/t2a_v2", MediaFault.api_error(1008, "insufficient balance"))

    def undo() -> None:
        if fake.pending_faults():
            raise SystemExit("a queued fault was not consumed: the failure table would be wrong")

    return undo


def _failing_video(fake: Any) -> Callable[[], None]:
    fake.video_fails = True

    def undo() -> None:
        fake.video_fails = False

    return undo


FAILURE_CASES = [
    Case(
        "text_to_image",
        "text_to_image, aspect_ratio 5:4",
        lambda r: {"prompt": "a red fox", "aspect_ratio": "5:4"},
        False,
        why="5:4 is not an aspect ratio MiniMax offers (it answers 2013, invalid params)",
    ),
    Case(
        "voice_clone",
        "voice_clone, file missing",
        lambda r: {"voice_id": "Voice2026test", "file": str(r.root / "missing.mp3"), "text": "hello"},
        False,
        why="the audio file does not exist",
    ),
    Case(
        "text_to_audio",
        "text_to_audio, empty balance",
        lambda r: {"text": "hello"},
        False,
        why="the account has no balance",
        arrange=_empty_balance,
    ),
    Case(
        "generate_video",
        "generate_video, task fails",
        lambda r: {"prompt": "waves", "async_mode": False},
        False,
        why="the video task ends with status Fail",
        arrange=_failing_video,
    ),
]


def verdict(case: Case, outcome: Outcome) -> str:
    if outcome.raised:
        return "no answer"
    if outcome.is_error:
        return "error (is_error true)"
    if FAILURE_TEXT.search(outcome.text):
        return "failed, but is_error false"
    if case.expect_file and not outcome.files:
        return "no file saved, is_error false"
    return "ok"


async def call(run: Run, client: mcp_peers.Client, fake: Any, case: Case) -> Outcome:
    args = case.args(run)
    before_files = files_under(run.side.out, run.root)
    before_requests = len(fake.requests)
    try:
        result = await client.call_tool(case.tool, args, read_timeout_seconds=CALL_TIMEOUT)
    except Exception as err:  # an MCP error answer, a timeout, a broken pipe: all recorded as such
        new = sorted(files_under(run.side.out, run.root) - before_files)
        requests = [r.path for r in fake.requests[before_requests:]]
        return Outcome(None, "", [], new, requests, raised=f"{type(err).__name__}: {err}")
    new = sorted(files_under(run.side.out, run.root) - before_files)
    requests = [r.path for r in fake.requests[before_requests:]]
    return Outcome(bool(result.is_error), text_of(result), content_kinds(result), new, requests)


async def exercise(run: Run, fake: Any) -> None:
    server = run.side.server
    assert server.params is not None
    before = stray_lines.count
    try:
        async with mcp_peers.connect(server.params, timeout=CALL_TIMEOUT) as client:
            listed = await client.list_tools()
            run.tools = {t.name: dict(t.input_schema) for t in listed.tools}
            for case in MAIN_CASES:
                if case.tool not in run.tools and case.tool != "music_generation":
                    continue
                outcome = await call(run, client, fake, case)
                run.outcomes[case.label] = outcome
                if case.label == "generate_video, async_mode true":
                    found = re.search(r"task[ _]id:?\s*([A-Za-z0-9_-]+)", outcome.text, re.IGNORECASE)
                    run.task_id = found.group(1) if found else ""
            for case in FAILURE_CASES:
                undo = case.arrange(fake) if case.arrange is not None else None
                try:
                    run.outcomes[case.label] = await call(run, client, fake, case)
                finally:
                    if undo is not None:
                        undo()
    except ConnectFailed as err:
        run.failed_to_start = str(err)[:300]
    finally:
        run.stray = stray_lines.count - before


# -- the document -------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str, empty: str = "(no text)") -> str:
    text = text.replace("`", "'").replace("\n", " ").strip()
    return "`" + _cell(text) + "`" if text else empty


def _params(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    names = list(schema.get("properties", {}))
    return ", ".join(f"{n}\\*" if n in required else n for n in names) or "(none)"


def _compare(official_schema: dict[str, Any] | None, ours_schema: dict[str, Any] | None) -> str:
    if ours_schema is None:
        return "not offered"
    if official_schema is None:
        return "ours only: " + _params(ours_schema)
    theirs, mine = official_schema.get("properties", {}), ours_schema.get("properties", {})
    notes = []
    missing = [n for n in theirs if n not in mine]
    extra = [n for n in mine if n not in theirs]
    notes.append("same names" if not missing and not extra else "")
    if missing:
        notes.append("missing: " + ", ".join(missing))
    if extra:
        notes.append("extra: " + ", ".join(extra))
    req_theirs, req_mine = set(official_schema.get("required", [])), set(ours_schema.get("required", []))
    if req_mine - req_theirs:
        notes.append("required only in ours: " + ", ".join(sorted(req_mine - req_theirs)))
    if req_theirs - req_mine:
        notes.append("required only in the official: " + ", ".join(sorted(req_theirs - req_mine)))
    unset = object()
    changed = []
    for name in theirs:
        if name in mine and name not in req_theirs | req_mine:
            a, b = theirs[name].get("default", unset), mine[name].get("default", unset)
            if a != b:
                changed.append(f"{name} ({_default(a, unset)} / {_default(b, unset)})")
    if changed:
        notes.append("defaults (official / ours): " + ", ".join(changed))
    return "; ".join(n for n in notes if n)


def _default(value: Any, unset: object) -> str:
    return "no default" if value is unset else json.dumps(value, ensure_ascii=False)


class Scrub:
    """Makes texts stable and short: temporary paths, the fake's address and clock times replaced."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            text = text.replace(old, new)
        text = re.sub(r"(?<!\d)\d{8}[-_]\d{6}(?!\d)", "<time>", text)
        text = re.sub(r"<time>-[0-9a-f]{8}\b", "<time>-<random>", text)
        text = re.sub(r"Trace-Id: ?\S+", "Trace-Id: <id>", text)
        return " ".join(text.split())


def _result(case: Case, run: Run, scrub: Scrub) -> str:
    if run.failed_to_start:
        return "server did not start"
    if case.tool not in run.tools and case.tool != "music_generation":
        return "not offered"
    outcome = run.outcomes.get(case.label)
    if outcome is None:
        return "not called"
    if case.tool not in run.tools:
        return "**no such tool**: " + _code(_clip(scrub(outcome.raised or outcome.text)))
    word = verdict(case, outcome)
    extras = []
    if outcome.files:
        extras.append("saved " + ", ".join(p.suffix.lstrip(".") or "file" for p in outcome.files))
    inline = [k for k in outcome.kinds if k != "text"]
    if inline:
        extras.append("inline " + ", ".join(inline))
    shown = _clip(scrub(outcome.raised or outcome.text))
    tail = f" ({'; '.join(extras)})" if extras else ""
    return f"**{word}**{tail}: {_code(shown)}"


def _clip(text: str) -> str:
    return text if len(text) <= SNIPPET else text[:SNIPPET].rstrip() + "…"


def _requests(outcome: Outcome | None) -> str:
    if outcome is None:
        return "?"
    return str(len(outcome.requests))


def _versions() -> tuple[str, str]:
    peers = (PEERS / "versions.txt").read_text(encoding="utf-8") if (PEERS / "versions.txt").is_file() else ""
    found = dict(re.findall(r"^(minimax-mcp|mcp)\s+(\S+)", peers, re.MULTILINE))
    theirs = f"minimax-mcp {found.get('minimax-mcp', '?')} (on mcp {found.get('mcp', '?')})"
    mine = f"m2bridge {importlib.metadata.version('m2bridge')} (on mcp {importlib.metadata.version('mcp')})"
    return theirs, mine


def render(runs: dict[str, Run], scrub: Scrub, video_polls: int) -> str:
    theirs, mine = runs["minimax-mcp"], runs["m2bridge"]
    official_version, our_version = _versions()
    lines = [
        "# Media tools: parity with MiniMax's own MCP server",
        "",
        "<!-- Generated by bench/media_parity.py; do not edit by hand. -->",
        "",
        f"Generated on {datetime.date.today().isoformat()} by `.venv/bin/python bench/media_parity.py`, "
        "which starts the test suite's fake media API (`tests/fakes/media`, on 127.0.0.1) and points both "
        f"servers at it: the official `{official_version}`, installed from PyPI by `scripts/bench-peers`, "
        f"and ours, `{our_version}`, run as `python -m m2bridge mcp --root <root>`. Both get the same "
        f"environment: `MINIMAX_API_KEY={KEY}`, `MINIMAX_API_HOST=<fake>`, "
        "`MINIMAX_API_RESOURCE_MODE=local` and `MINIMAX_MCP_BASE_PATH` set to a folder of its own "
        "(`<out>`; ours keeps it inside its root). Both are reached over stdio with the MCP SDK's client, "
        "one after the other, and each call is made with the same arguments on both. The fake's state "
        "(tasks, files, cloned voices) is emptied before each server's turn, so both start alike. Video "
        f"tasks in the fake are ready at poll {video_polls}, so the official server's 20 s sleep between "
        "polls is not paid here (bench/bench_media.py measures that).",
        "",
        "Columns:",
        "- **official parameters**: the input properties `minimax-mcp` lists for the tool, in its order; "
        "`*` marks the ones its schema requires.",
        "- **ours**: our tool's parameter names against those (same names, or missing and extra ones), where "
        "the required ones differ, and the defaults of optional parameters that differ (official / ours, as "
        "JSON; `no default` when the schema gives none).",
        "- **official call**, **our call**: the verdict, what was saved or returned inline, then the start "
        f"of the text (up to {SNIPPET} characters; temporary paths shown as `<root>`, `<out>`, the fake as "
        "`<fake>`). `ok` needs is_error false, no failure in the text and, for a call that makes a file, a "
        "new file in the server's folder. `failed, but is_error false` is a failure the server returned as "
        "ordinary text: an MCP client (or a model) sees a successful call. `error (is_error true)` is an MCP "
        "tool error.",
        "",
        "| tool | official parameters | ours | official call | our call |",
        "|---|---|---|---|---|",
    ]
    shown_tools: set[str] = set()
    for case in MAIN_CASES:
        first = case.tool not in shown_tools
        shown_tools.add(case.tool)
        official_schema, ours_schema = theirs.tools.get(case.tool), mine.tools.get(case.tool)
        label = case.label if first else f"{case.label} (same tool)"
        params = _params(official_schema) if official_schema else "not offered"
        compare = _compare(official_schema, ours_schema) if first else ""
        if not first:
            params = ""
        args = _code(_args_text(case, mine, scrub), "(no arguments)")
        lines.append(
            f"| {label}<br>{args} | {_cell(params)} | {_cell(compare)} | {_result(case, theirs, scrub)} | "
            f"{_result(case, mine, scrub)} |"
        )
        if case.tool == "voice_clone":
            # play_audio sits after voice_clone in the official server's order.
            schema = theirs.tools.get("play_audio")
            official_params = _params(schema) if schema else "not offered"
            lines.append(
                f"| play_audio | {_cell(official_params)} | not offered: {LEFT_OUT['play_audio']} | not "
                "called (it would play sound on this machine) | not offered |"
            )
    lines += [
        "",
        "## Failure paths",
        "",
        "The same arguments again, chosen to fail. **requests** is how many HTTP requests the call sent to "
        "the fake media API (official / ours): a request refused before it is sent costs nothing.",
        "",
        "| case | why it fails | requests | official call | our call |",
        "|---|---|---|---|---|",
    ]
    for case in FAILURE_CASES:
        args = _code(_args_text(case, mine, scrub))
        why = case.why
        requests = (
            f"{_requests(theirs.outcomes.get(case.label))} / {_requests(mine.outcomes.get(case.label))}"
        )
        lines.append(
            f"| {case.label}<br>{args} | {_cell(why)} | {requests} | {_result(case, theirs, scrub)} | "
            f"{_result(case, mine, scrub)} |"
        )
    lines += ["", "## Notes", ""]
    others = sorted(set(mine.tools) - set(TOOLS))
    if others:
        lines.append(
            f"- Ours lists {len(others)} more tools that are not about media (its file, search, git and "
            "terminal tools); they are left out of the table."
        )
    for run in (theirs, mine):
        if run.stray:
            lines.append(
                f"- `{run.side.name}` wrote {run.stray} line(s) to stdout that are not JSON-RPC (the SDK "
                "client skips them; a stricter client fails to connect)."
            )
        if run.failed_to_start:
            lines.append(f"- `{run.side.name}` did not start: {_cell(scrub(run.failed_to_start))}")
    lines.append(
        "- `MINIMAX_API_RESOURCE_MODE`: the official server defaults to `url` (links only), ours to `local` "
        "(files saved); both ran with `local` here."
    )
    return "\n".join(lines) + "\n"


def _args_text(case: Case, run: Run, scrub: Scrub) -> str:
    args = dict(case.args(run))
    if "task_id" in args:
        args["task_id"] = "<from the call above>"
    return scrub(", ".join(f"{k}={v!r}" for k, v in args.items()))


async def main(out: Path, show: bool) -> None:
    fake_class = fake_media_class()
    fake = fake_class(api_key=KEY)
    with fake, tempfile.TemporaryDirectory(prefix="m2b-parity-") as tmp:
        fake.video_polls = 1
        base = Path(tmp)
        root, home, theirs_dir = base / "root", base / "home", base / "official"
        for folder in (root, home, theirs_dir):
            folder.mkdir()
        voice = root / "voice.mp3"
        voice.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 4096)
        sides = [official(fake.host, theirs_dir), ours(fake.host, root, home)]
        runs: dict[str, Run] = {}
        for side in sides:
            if not side.server.available():
                raise SystemExit(f"{side.name} is not installed: run scripts/bench-peers")
            # Same host, fresh state: each server starts with no tasks, files or cloned voices (so the
            # same voice_id can be cloned on both, and ids come out alike).
            fake.store = type(fake.store)()
            # Both get the same voice file (an absolute path inside our root: allowed for ours too).
            run = Run(side, root, voice)
            await exercise(run, fake)
            runs[side.name] = run
        scrub = Scrub(
            [
                (str(runs["minimax-mcp"].side.out), "<out>"),
                (str(runs["m2bridge"].side.out), "<out>"),
                (str(root), "<root>"),
                (str(home), "<home>"),
                (str(base), "<tmp>"),
                (fake.host, "<fake>"),
            ]
        )
        document = render(runs, scrub, video_polls=1)
        violations = list(fake.violations)
    if violations:
        # A malformed request (a misspelt key, a missing field) is a bug in a server or in the fake.
        print(f"the fake recorded {len(violations)} violation(s):", *violations[:10], sep="\n  ")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    for name, run in runs.items():
        for label, outcome in run.outcomes.items():
            case = next(c for c in [*MAIN_CASES, *FAILURE_CASES] if c.label == label)
            print(f"  {name:<12} {label:<36} {verdict(case, outcome)}")
            if show:
                print(f"      {outcome.raised or outcome.text}\n      files: {outcome.files}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "media-parity.md")
    parser.add_argument("--show", action="store_true", help="print every call's whole text too")
    options = parser.parse_args()
    anyio.run(main, options.out.resolve(), options.show)
