"""The conversation service against the strict fake MiniMax and real SQLite files: sessions opened lazily,
failed starts taken back, cancels that keep what arrived, one model client and one tool set per service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from m2bridge.agent import AgentEvent
from m2bridge.client.events import TextDelta, ThinkingDelta
from m2bridge.conversation import ConversationService, TurnControl
from m2bridge.errors import SessionNotFound
from m2bridge.messages import AssistantTurn
from m2bridge.sessions import SessionStore
from m2bridge.tools import Tool
from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env, settings_for
from tests.support.tools import ReadNote, make_notes


def service_for(tmp_path: Path, fake: Any, tools: Any = ()) -> ConversationService:
    settings = settings_for(m2_env(tmp_path, fake))
    return ConversationService(settings, tmp_path, owner="test", tools=tools)


def stored_sessions(service: ConversationService) -> list[str]:
    with SessionStore(service.settings.sessions_db) as store:
        return [info.id for info in store.list()]


async def test_a_new_session_is_not_stored_until_its_first_turn(tmp_path: Path, fake_minimax: Any) -> None:
    fake_minimax.script(Reply("Hello.", thinking="Greet."))
    async with service_for(tmp_path, fake_minimax) as service:
        chat = await service.open()
        assert chat.session_id is None and stored_sessions(service) == []
        result = await chat.run("hi")
        assert result.stop_reason == "end_turn" and result.text == "Hello."
        assert stored_sessions(service) == [chat.session_id] == [result.session_id]


async def test_a_failed_first_turn_leaves_no_session(tmp_path: Path, fake_minimax: Any) -> None:
    fake_minimax.script(Fault.api_error(2049, "invalid api key", http_status=401))
    async with service_for(tmp_path, fake_minimax) as service:
        chat = await service.open()
        result = await chat.run("hi")
        assert result.stop_reason == "error" and result.error is not None
        assert result.session_id == "" and chat.session_id is None
        assert stored_sessions(service) == []


async def test_a_failed_turn_on_a_kept_session_keeps_it(tmp_path: Path, fake_minimax: Any) -> None:
    fake_minimax.script(Reply("One."), Fault.api_error(2049, "invalid api key", http_status=401))
    async with service_for(tmp_path, fake_minimax) as service:
        chat = await service.open()
        await chat.run("one")
        result = await chat.run("two")
        assert result.stop_reason == "error" and result.session_id == chat.session_id
        assert stored_sessions(service) == [chat.session_id]


async def test_cancel_keeps_what_arrived(tmp_path: Path, fake_minimax: Any) -> None:
    fake_minimax.script(Reply("A long answer " * 200, thinking="Think first, then answer at length."))
    # Chunks spaced out, so the stream is still running when the first delta asks to stop (read in one
    # go, the whole answer can arrive in the batch that carries its first delta).
    fake_minimax.token_delay = 0.01
    async with service_for(tmp_path, fake_minimax) as service:
        chat = await service.open()

        def on_event(event: AgentEvent) -> None:
            if isinstance(event, (ThinkingDelta, TextDelta)):
                chat.cancel()  # mid-stream, from the event sink, as a surface's stop button does

        result = await chat.run("write a lot", on_event=on_event)
        assert result.stop_reason == "cancelled" and result.incomplete
        assert chat.session_id is not None  # M2 had started answering: the session is kept
        with SessionStore(service.settings.sessions_db) as store:
            last = store.load(chat.session_id).turns[-1].turn
        assert isinstance(last, AssistantTurn) and last.incomplete


async def test_a_cancel_before_the_turn_starts_stops_it_and_stores_nothing(
    tmp_path: Path, fake_minimax: Any
) -> None:
    async with service_for(tmp_path, fake_minimax) as service:
        chat = await service.open()
        control = TurnControl()
        control.cancel()
        result = await chat.run("never sent", control=control)
        assert result.stop_reason == "cancelled" and result.incomplete
        assert fake_minimax.requests == [] and stored_sessions(service) == []


async def test_one_model_client_serves_many_turns_and_is_closed_once(
    tmp_path: Path, fake_minimax: Any
) -> None:
    fake_minimax.script(Reply("1"), Reply("2"), Reply("3"))
    service = service_for(tmp_path, fake_minimax)
    first = await service.open()
    await first.run("one")
    await first.run("two")
    await (await service.open()).run("three")  # another conversation, same service
    client = service.clients.client(service.settings)
    assert service.clients.built == 1
    await service.aclose()
    assert client._http.is_closed
    await service.aclose()  # closing again closes nothing twice
    assert service.clients.built == 1


async def test_the_tools_are_opened_at_the_first_turn_once_and_closed_with_the_service(
    tmp_path: Path, fake_minimax: Any
) -> None:
    make_notes(tmp_path / "notes", 1)
    life: list[str] = []

    @asynccontextmanager
    async def tools() -> AsyncIterator[Sequence[Tool]]:
        life.append("opened")
        try:
            yield [ReadNote(tmp_path / "notes")]
        finally:
            life.append("closed")

    fake_minimax.script(Reply("1"), Reply("2"))
    async with service_for(tmp_path, fake_minimax, tools) as service:
        chat = await service.open()
        assert life == []
        await chat.run("one")
        await chat.run("two")
        assert life == ["opened"]
        assert fake_minimax.requests[-1].body["tools"][0]["name"] == "read_note"
    assert life == ["opened", "closed"]


async def test_a_session_is_resumed_by_prefix_and_the_latest_by_workspace(
    tmp_path: Path, fake_minimax: Any
) -> None:
    fake_minimax.script(Reply("1"), Reply("2"), Reply("3"))
    async with service_for(tmp_path, fake_minimax) as service:
        with pytest.raises(SessionNotFound):
            await service.open(latest=True)
        with pytest.raises(SessionNotFound):
            await service.open("nosuchsession")
        assert (await service.open("nosuchsession", missing_ok=True)).session_id is None
        started = await service.open()
        await started.run("one")
        assert started.session_id is not None
        again = await service.open(started.session_id[:8])
        latest = await service.open(latest=True)
        assert again.session_id == latest.session_id == started.session_id
        await latest.run("two")
        assert stored_sessions(service) == [started.session_id]
