"""Taking back a session whose first turn got no answer, on a real store (both backends, conftest.py)."""

from __future__ import annotations

from m2bridge.messages import AssistantTurn, ContextTurn, TextBlock, UserTurn
from m2bridge.sessions import Store
from m2bridge.sessions.unanswered import drop_if_unanswered


def new_session(store: Store, *turns) -> str:
    session = store.create(workspace="/w", protocol="anthropic", model="MiniMax-M2", title="t").id
    store.append(session, list(turns), expected_head=0)
    return session


def cut_answer() -> AssistantTurn:
    return AssistantTurn(
        protocol="anthropic",
        model="MiniMax-M2",
        blocks=[TextBlock(text="half an ans")],
        provider_message={"role": "assistant", "content": [{"type": "text", "text": "half an ans"}]},
        incomplete=True,
    )


def test_a_session_holding_only_the_prompt_and_its_context_is_removed(store):
    session = new_session(store, ContextTurn(source="editor", text="a.py"), UserTurn(text="hi"))
    assert drop_if_unanswered(store, session, "test") is True
    assert store.list() == []


def test_a_session_with_even_an_incomplete_answer_is_kept(store):
    session = new_session(store, UserTurn(text="hi"), cut_answer())
    assert drop_if_unanswered(store, session, "test") is False
    assert [info.id for info in store.list()] == [session]


def test_a_session_another_owner_is_running_a_turn_on_is_left_alone(open_store):
    store, other = open_store(), open_store()
    session = new_session(store, UserTurn(text="hi"))
    with other.acquire(session, "someone else"):
        assert drop_if_unanswered(store, session, "test") is False
    assert [info.id for info in store.list()] == [session]


def test_a_session_already_gone_is_not_an_error(store):
    session = new_session(store, UserTurn(text="hi"))
    store.remove(session)
    assert drop_if_unanswered(store, session, "test") is False
