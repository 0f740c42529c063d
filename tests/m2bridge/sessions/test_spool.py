"""The local spool of turns the store could not take: durable, private, exact, and written back only
where they belong."""

from __future__ import annotations

import json
import stat

import pytest

from m2bridge.messages import AssistantTurn, ToolCall, ToolResult, ToolResultsTurn, TurnAdapter, UserTurn
from m2bridge.sessions import SessionStore, spool

STORE = "/home/me/.local/share/m2bridge/sessions.db"
SESSION = "abc123def456"


def answer(calls: int = 2) -> AssistantTurn:
    return AssistantTurn.model_validate(
        {
            "protocol": "anthropic",
            "model": "MiniMax-M2",
            "provider_message": {"role": "assistant", "content": [{"type": "thinking", "thinking": "é"}]},
            "blocks": [
                {"type": "thinking", "text": "Read both, then answer. ✓", "signature": "c2ln"},
                *[
                    {"type": "tool_call", "id": f"call_{n}", "name": "read_note", "arguments": {"n": n}}
                    for n in range(calls)
                ],
            ],
        }
    )


def results(calls: int = 2) -> ToolResultsTurn:
    return ToolResultsTurn(
        results=[
            ToolResult(tool_call_id=f"call_{n}", name="read_note", content=f"note {n}") for n in range(calls)
        ]
    )


def test_kept_turns_are_one_fsynced_private_line_per_failed_append_with_the_exact_payloads(tmp_path):
    turns = [answer(), results()]
    path = spool.keep(tmp_path, STORE, SESSION, 3, turns, "the disk is full")
    assert path == tmp_path / "unsaved" / f"{SESSION}.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    spool.keep(tmp_path, STORE, SESSION, 5, [UserTurn(text="later")], "still full")
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["payloads"] == [TurnAdapter.dump_json(t).decode() for t in turns]
    assert (first["after_head"], first["store"], first["reason"]) == (3, STORE, "the disk is full")
    unsaved = spool.pending(tmp_path, STORE, SESSION)
    assert [e.after_head for e in unsaved.entries] == [3, 5]
    assert unsaved.entries[0].turns() == turns


def test_only_the_same_store_sees_a_sessions_kept_turns(tmp_path):
    spool.keep(tmp_path, STORE, SESSION, 0, [answer()], "gone")
    assert spool.pending(tmp_path, "postgresql://me:***@db/m2", SESSION).entries == []
    assert spool.pending(tmp_path, STORE, "zzz999zzz999").entries == []


def test_a_line_cut_short_by_a_crash_is_counted_and_never_thrown_away(tmp_path):
    path = spool.keep(tmp_path, STORE, SESSION, 0, [answer()], "gone")
    with path.open("ab") as torn:
        torn.write(b'{"v": 1, "id": "abc", "payl')
    unsaved = spool.pending(tmp_path, STORE, SESSION)
    assert len(unsaved.entries) == 1 and unsaved.unreadable == 1
    spool.forget(tmp_path, SESSION, [unsaved.entries[0].id])
    assert path.read_bytes() == b'{"v": 1, "id": "abc", "payl\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_forgetting_every_entry_removes_the_file(tmp_path):
    path = spool.keep(tmp_path, STORE, SESSION, 0, [answer()], "gone")
    spool.forget(tmp_path, SESSION, [e.id for e in spool.pending(tmp_path, STORE, SESSION).entries])
    assert not path.exists()


def stored_session(tmp_path, turns):
    store = SessionStore(tmp_path / "sessions.db")
    session = store.create(workspace="/w", protocol="anthropic", model="m").id
    store.append(session, turns, expected_head=0)
    return store, session


def test_the_plan_writes_kept_turns_only_at_the_head_they_follow(tmp_path):
    store, session = stored_session(tmp_path, [UserTurn(text="hi")])
    spool.keep(tmp_path, STORE, session, 1, [answer()], "gone", follows=UserTurn(text="hi"))
    spool.keep(tmp_path, STORE, session, 2, [results()], "gone", follows=answer())
    entries = spool.pending(tmp_path, STORE, session).entries
    loaded = store.load(session)

    restore = spool.plan(entries, loaded.turns, loaded.head)
    assert restore.turns == [answer(), results()] and restore.written == entries
    assert restore.stranded == [] and restore.saved == []

    # Another turn was stored in the meantime: nothing kept is written after it, not even the results
    # whose head it happens to reach (they follow M2's answer, not that turn).
    store.append(session, [UserTurn(text="from elsewhere")], expected_head=1)
    loaded = store.load(session)
    restore = spool.plan(entries, loaded.turns, loaded.head)
    assert restore.turns == [] and restore.stranded == entries


def test_turns_the_store_took_after_all_are_recognised_by_their_bytes(tmp_path):
    # The commit landed; its acknowledgement was lost with the connection.
    store, session = stored_session(tmp_path, [UserTurn(text="hi"), answer()])
    spool.keep(tmp_path, STORE, session, 1, [answer()], "connection lost during commit")
    loaded = store.load(session)
    restore = spool.plan(spool.pending(tmp_path, STORE, session).entries, loaded.turns, loaded.head)
    assert restore.turns == [] and len(restore.saved) == 1 and restore.stranded == []


def test_what_was_not_saved_is_said_in_words():
    assert spool.describe([answer()]) == "M2's answer (with 2 tool calls, not run)"
    assert spool.describe([answer(1), results(1)]) == "M2's answer and 1 tool result"
    assert spool.describe([results(2)]) == "2 tool results"
    partial = AssistantTurn.model_validate(
        {"protocol": "anthropic", "model": "m", "blocks": [], "provider_message": {}, "incomplete": True}
    )
    assert spool.describe([partial]) == "M2's incomplete answer"
    assert spool.is_plural([results(2)]) and not spool.is_plural([answer()])


def test_a_session_id_cannot_lead_the_spool_out_of_its_folder(tmp_path):
    with pytest.raises(ValueError, match="not a session id"):
        spool.spool_file(tmp_path, "../../etc/passwd")
    with pytest.raises(ValueError, match="not a session id"):
        spool.keep(tmp_path, STORE, "../x", 0, [answer()], "gone")
    assert spool.pending(tmp_path, STORE, "../../etc/passwd").entries == []
    assert not (tmp_path / "unsaved").exists()


def test_tool_call_ids_survive_the_round_trip(tmp_path):
    spool.keep(tmp_path, STORE, SESSION, 0, [answer()], "gone")
    (turn,) = spool.pending(tmp_path, STORE, SESSION).entries[0].turns() or []
    assert isinstance(turn, AssistantTurn)
    assert [c.id for c in turn.tool_calls] == ["call_0", "call_1"]
    assert all(isinstance(c, ToolCall) for c in turn.tool_calls)
