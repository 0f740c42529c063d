"""`m2bridge lsp` end to end: pytest-lsp's client drives the server as a subprocess, against the strict
fake M2 over HTTP (which fails the test if earlier thinking is dropped or altered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, run_json
from tests.support.lsp_editor import editor_session, make_project, user_texts


async def test_chat_streams_deltas_and_sends_the_editor_context_as_context(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Read the selected function first."),
        Reply("It returns 1.", thinking="The selection is answer()."),
    )
    async with editor_session(repo, env) as editor:
        editor.open("app.py")
        editor.select("app.py", (0, 0), (2, 0))
        diagnostic = {
            "range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 12}},
            "message": "magic number",
            "severity": 2,
            "source": "pylint",
        }
        editor.report_diagnostics("app.py", [diagnostic])
        answer = await editor.chat("what does the selection return?")
        progress = dict(editor.client.progress_reports)

    assert answer["stopReason"] == "end_turn"
    assert answer["text"] == "It returns 1."
    session_id = answer["sessionId"]
    kinds = [d["kind"] for d in editor.deltas]
    assert {"thinking", "text", "toolStart", "toolEnd", "usage"} <= set(kinds)
    assert all(d["sessionId"] == session_id for d in editor.deltas)
    assert "".join(d["text"] for d in editor.deltas if d["kind"] == "text") == "It returns 1."
    started = next(d for d in editor.deltas if d["kind"] == "toolStart")
    ended = next(d for d in editor.deltas if d["kind"] == "toolEnd")
    assert started["tool"]["name"] == "read_file" and started["tool"]["arguments"] == {"path": "app.py"}
    assert ended["tool"]["ok"] is True and ended["tool"]["summary"]
    usage = next(d for d in editor.deltas if d["kind"] == "usage")
    assert usage["contextTokens"] > 0 and usage["inputTokens"] > 0
    # Work-done progress began and ended.
    reports = [r for token_reports in progress.values() for r in token_reports]
    assert any(isinstance(r, types.WorkDoneProgressBegin) for r in reports)
    assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)

    first = user_texts(fake_minimax.requests[0])
    context = next(t for t in first if "Editor context" in t)
    assert "Active file: app.py" in context
    assert "Selection: lines 1-2" in context and "def answer():" in context
    assert "magic number" in context and "pylint" in context
    assert first[-1] == "what does the selection return?"

    # Stored as context, apart from the user's words.
    code, shown = run_json(["sessions", "show", session_id, "--json"], env, repo)
    assert code == 0
    kinds_stored = [t["kind"] for t in shown["turns"]]
    assert kinds_stored[:2] == ["context", "user"]
    assert shown["turns"][0]["source"] == "editor"
    assert shown["turns"][1]["text"] == "what does the selection return?"
