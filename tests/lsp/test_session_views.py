"""`m2/sessions` and `m2/session` from a real store: camelCase keys like `m2/chat`, with what the model and
the tools wrote (tool arguments, artifacts) shown exactly as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from lsp.session_views import session_list, session_view
from m2bridge.conversation import ConversationService
from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, settings_for
from tests.support.tools import ReadNote, make_notes


def snake_keys(value: Any, inside: str = "") -> list[str]:
    """Every key with an underscore, outside tool arguments."""
    if isinstance(value, dict):
        found = [k for k in value if "_" in k]
        return found + [x for k, v in value.items() if k != "arguments" for x in snake_keys(v, k)]
    if isinstance(value, list):
        return [x for v in value for x in snake_keys(v, inside)]
    return []


async def test_a_session_is_shown_in_camel_case_with_tool_arguments_as_written(
    tmp_path: Path, fake_minimax: Any
) -> None:
    make_notes(tmp_path / "notes", 1)
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    fake_minimax.script(
        CallTools([("read_note", {"n": 0})], thinking="Read it."), Reply("Read.", thinking="Done.")
    )
    async with ConversationService(
        settings, tmp_path, owner="test", tools=[ReadNote(tmp_path / "notes")]
    ) as service:
        chat = await service.open()
        await chat.run("read note 0")
        assert chat.session_id is not None
        listed = await session_list(service, tmp_path)
        shown = await session_view(service, chat.session_id[:8])

    assert set(listed[0]) == {"id", "title", "updated", "turns", "contextTokens", "workspace"}
    assert shown["id"] == chat.session_id and "contextTokens" in shown
    assert snake_keys(shown) == []
    results = next(t for t in shown["turns"] if t["kind"] == "tool_results")["results"]
    assert results[0]["toolCallId"] and results[0]["isError"] is False
    answers = [t for t in shown["turns"] if t["kind"] == "assistant"]
    assert answers[-1]["stopReason"] == "end_turn"
    call = next(b for b in answers[0]["blocks"] if b["type"] == "tool_call")
    assert call["arguments"] == {"n": 0}


async def test_an_unknown_session_is_invalid_params(tmp_path: Path, fake_minimax: Any) -> None:
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    async with ConversationService(settings, tmp_path, owner="test") as service:
        with pytest.raises(JsonRpcInvalidParams):
            await session_view(service, "nosuchsession")
