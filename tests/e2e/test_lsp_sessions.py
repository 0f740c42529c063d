"""One conversation across surfaces: started in the terminal, continued in the editor, then in the
terminal again, with the fake's history check holding on every request, thinking included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, run_json
from tests.support.lsp_editor import APP, editor_session, make_project


async def test_a_terminal_session_continues_in_the_editor_and_back(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Terminal turn: read it."),
        Reply("It returns 1.", thinking="Terminal turn: answer."),
    )
    code, first = run_json(["chat", "-p", "what does answer return?", "--json"], env, repo)
    assert code == 0 and first["stop_reason"] == "end_turn"
    session_id = first["session_id"]

    fake_minimax.script(Reply("Still 1, seen from the editor.", thinking="Editor turn."))
    async with editor_session(repo, env) as editor:
        listed = await editor.request("m2/sessions")
        answer = await editor.chat("and now?", session_id=session_id)
        shown = await editor.request("m2/session", {"id": session_id})

    assert [s["id"] for s in listed] == [session_id]
    assert set(listed[0]) == {"id", "title", "updated", "turns", "contextTokens", "workspace"}
    assert listed[0]["workspace"] == str(repo.resolve())
    assert answer["sessionId"] == session_id and answer["text"] == "Still 1, seen from the editor."
    thinking = [
        block["text"]
        for turn in shown["turns"]
        if turn["kind"] == "assistant"
        for block in turn["blocks"]
        if block["type"] == "thinking"
    ]
    assert thinking == ["Terminal turn: read it.", "Terminal turn: answer.", "Editor turn."]

    fake_minimax.script(Reply("Back in the terminal.", thinking="Terminal again."))
    code, last = run_json(["chat", "--continue", "-p", "and in the terminal?", "--json"], env, repo)
    assert code == 0 and last["session_id"] == session_id
    # Every request carried the whole history unaltered (the fake checks each one; it saw no violation).
    assert len(fake_minimax.requests) == 4
    assert not fake_minimax.violations


async def test_new_session_command_starts_a_fresh_conversation(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(
        Reply("One.", thinking="First."),
        Reply("Two.", thinking="Same session."),
        Reply("Three.", thinking="New."),
    )
    async with editor_session(repo, env) as editor:
        first = await editor.chat("one")
        second = await editor.chat("two")
        await editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="m2.newSession")
        )
        third = await editor.chat("three")
        listed = await editor.request("m2/sessions")

    assert first["sessionId"] == second["sessionId"] != third["sessionId"]
    assert {s["id"] for s in listed} == {first["sessionId"], third["sessionId"]}


async def test_code_actions_offer_m2_without_calling_it_and_run_only_when_chosen(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(1, 11), end=types.Position(1, 12)),
        message="answer must return 2",
        severity=types.DiagnosticSeverity.Error,
        source="tests",
    )
    async with editor_session(repo, env) as editor:
        uri = editor.open("app.py")
        actions = await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=types.Position(0, 0), end=types.Position(2, 0)),
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        )
        assert fake_minimax.requests == []  # offering actions never calls the model
        titles = [a.title for a in actions or []]
        assert titles[0].startswith("Fix with M2: answer must return 2")
        assert titles[1:] == ["Explain with M2", "Refactor with M2"]

        fake_minimax.script(
            CallTools(
                [("edit_file", {"path": "app.py", "old_string": "return 1", "new_string": "return 2"})],
                thinking="Fix it.",
            ),
            Reply("Made it return 2.", thinking="Fixed."),
        )
        fix = actions[0]
        assert isinstance(fix, types.CodeAction) and fix.command is not None
        result = await editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=fix.command.command, arguments=fix.command.arguments)
        )
        progress = [r for reports in editor.client.progress_reports.values() for r in reports]
        info = [m.message for m in editor.client.messages]

    assert (repo / "app.py").read_text() == APP.replace("return 1", "return 2")
    prompt = fake_minimax.requests[0].body["messages"][-1]["content"][-1]["text"]
    assert "answer must return 2" in prompt and "app.py" in prompt
    assert any(isinstance(r, types.WorkDoneProgressBegin) and r.title == "Fixing with M2" for r in progress)
    assert any("Made it return 2." in m for m in info)
    assert result["stopReason"] == "end_turn"


async def test_explain_shows_the_answer_and_a_failure_shows_a_message(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    span = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}
    async with editor_session(repo, env) as editor:
        uri = editor.open("app.py")
        fake_minimax.script(Reply("It returns one.", thinking="Explain."))
        await editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="m2.explain", arguments=[uri, span])
        )
        del env["MINIMAX_API_KEY"]
        messages = [m.message for m in editor.client.messages]
    assert any("It returns one." in m for m in messages)
    prompt = fake_minimax.requests[0].body["messages"][-1]["content"][-1]["text"]
    assert "lines 1-2" in prompt
    context = fake_minimax.requests[0].body["messages"][-1]["content"][0]["text"]
    assert "Selection: lines 1-2" in context
