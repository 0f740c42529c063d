"""The session store in one process: round trips, concurrency errors, leases, damage, fork and friends.

Every test runs on both backends (SQLite and PostgreSQL, see conftest.py): one store contract."""

from __future__ import annotations

import logging
import os
import socket
import string
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2bridge.errors import SessionBusy, SessionError, SessionMovedOn, SessionNotFound
from m2bridge.messages import (
    AssistantTurn,
    CompactionTurn,
    ContextTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    ToolResultsTurn,
    TurnAdapter,
    Usage,
    UserTurn,
)
from m2bridge.sessions import Store
from tests.m2bridge.sessions.backends import id_module

TRICKY = (
    "  leading spaces\n<think>\nfirst, \U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522"
    " ü 漢字 🤔 \u200b\u00a0</think>\r\n\ttabs\t and trailing spaces   \n\n"
)


def assistant(thinking: str = TRICKY, *, text: str = "done", protocol: str = "anthropic") -> AssistantTurn:
    return AssistantTurn(
        protocol=protocol,  # type: ignore[arg-type]
        model="MiniMax-M2",
        blocks=[
            ThinkingBlock(text=thinking, signature="EqQBCkYIBRgCKkD+/=="),
            TextBlock(text=text),
            ToolCall(id="call_1", name="read_file", arguments={"path": "a b/ç.py", "lines": [1, 2]}),
            ToolCall(id="call_2", name="run", arguments_error="not a JSON object: '[1,'"),
        ],
        provider_message={
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": thinking, "signature": "EqQBCkYIBRgCKkD+/=="},
                {"type": "text", "text": text},
                {"type": "tool_use", "id": "call_1", "name": "read_file", "input": {"path": "a b/ç.py"}},
            ],
            "nested": {"null": None, "true": True, "float": 0.1, "big": 2**62, "neg": -1e-300, "empty": ""},
        },
        stop_reason="tool_use",
        usage=Usage(input_tokens=1234, output_tokens=567),
    )


def every_kind() -> list:
    return [
        UserTurn(text="fix the bug in\n`main.py`  "),
        ContextTurn(source="vscode", text="open file: main.py\nselection: 10-12\n"),
        assistant(),
        assistant("<think>reasoning in OpenAI style</think>", protocol="openai"),
        ToolResultsTurn(
            results=[
                ToolResult(tool_call_id="call_1", name="read_file", content="def f():\n    return 1  \n"),
                ToolResult(tool_call_id="call_2", name="run", content="refused", is_error=True),
            ]
        ),
        AssistantTurn(
            protocol="anthropic",
            model="MiniMax-M2",
            blocks=[TextBlock(text="partial")],
            provider_message={"role": "assistant", "content": "partial"},
            incomplete=True,
        ),
        CompactionTurn(summary="so far: …", replaces_before=5, tokens_before=180_000),
    ]


def new_session(store: Store, workspace: str = "/work/project", **kwargs):
    return store.create(workspace=workspace, protocol="anthropic", model="MiniMax-M2", **kwargs)


# -- round trips ----------------------------------------------------------------------------------


def test_every_kind_of_turn_comes_back_value_identical(store):
    session = new_session(store)
    turns = every_kind()
    assert store.append(session.id, turns, expected_head=0) == len(turns)

    loaded = store.load(session.id)
    assert loaded.warnings == []
    assert [t.turn for t in loaded.turns] == turns
    assert [t.index for t in loaded.turns] == list(range(len(turns)))
    assert loaded.turns[2].turn.thinking == TRICKY
    assert loaded.turns[2].turn.provider_message == turns[2].provider_message
    assert type(loaded.turns[2].turn.provider_message["nested"]["big"]) is int


def test_the_stored_payload_is_exactly_the_turn_adapter_json(store, raw):
    session = new_session(store)
    turns = every_kind()
    store.append(session.id, turns, expected_head=0)
    rows = [(kind, payload) for _, kind, payload, _ in raw.turn_rows(session.id)]
    assert rows == [(t.kind, TurnAdapter.dump_json(t)) for t in turns]


def test_any_thinking_text_survives_the_round_trip(store):
    session = new_session(store)
    head = 0

    # Any text a model could send (surrogates cannot be encoded as UTF-8, so no store could keep them).
    @settings(max_examples=60, deadline=None, database=None)
    @given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=300))
    def check(thinking: str) -> None:
        nonlocal head
        turn = assistant(thinking)
        head = store.append(session.id, [turn], expected_head=head)
        assert store.load(session.id).turns[-1].turn == turn

    check()


def test_an_append_lands_at_consecutive_indexes_and_updates_the_session(store):
    session = new_session(store)
    before = store.get(session.id)
    assert store.append(session.id, [UserTurn(text="a")], expected_head=0) == 1
    assert store.append(session.id, [UserTurn(text="b"), UserTurn(text="c")], expected_head=1) == 3
    assert store.append(session.id, [], expected_head=3) == 3

    loaded = store.load(session.id)
    assert loaded.head == loaded.info.turns == 3
    assert [(t.index, t.turn.text) for t in loaded.turns] == [(0, "a"), (1, "b"), (2, "c")]
    assert loaded.info.updated >= before.updated
    assert all(t.created >= before.created for t in loaded.turns)
    assert loaded.turns[1].created == loaded.turns[2].created  # one append, one transaction


def test_context_tokens_are_recorded_only_when_given(store):
    session = new_session(store)
    store.append(session.id, [UserTurn(text="a")], expected_head=0, context_tokens=1500)
    assert store.get(session.id).context_tokens == 1500
    store.append(session.id, [UserTurn(text="b")], expected_head=1)
    assert store.get(session.id).context_tokens == 1500


def test_append_accepts_only_turns(store):
    session = new_session(store)
    with pytest.raises(TypeError):
        store.append(session.id, [{"kind": "user", "text": "hi"}], expected_head=0)  # type: ignore[list-item]
    assert store.get(session.id).turns == 0


# -- optimistic concurrency and leases ------------------------------------------------------------


def test_a_stale_expected_head_is_refused_with_session_moved_on_and_nothing_is_written(open_store):
    mine, theirs = open_store(), open_store()
    session = new_session(mine)
    loaded = mine.load(session.id)
    theirs.append(session.id, [UserTurn(text="theirs")], expected_head=0)

    with pytest.raises(SessionMovedOn) as caught:
        mine.append(session.id, [UserTurn(text="mine"), UserTurn(text="mine too")], expected_head=loaded.head)
    assert "another process added turns" in str(caught.value)
    assert f"m2bridge sessions fork {session.id}" in str(caught.value)
    assert [t.turn.text for t in mine.load(session.id).turns] == ["theirs"]

    # Reloading gives the right head, and the append goes through.
    assert mine.append(session.id, [UserTurn(text="mine")], expected_head=mine.load(session.id).head) == 2


def test_an_expected_head_past_the_end_is_a_programming_error(store):
    session = new_session(store)
    with pytest.raises(ValueError, match="past the head"):
        store.append(session.id, [UserTurn(text="a")], expected_head=5)


def test_another_owner_holding_the_lease_makes_acquire_and_append_raise_session_busy(open_store):
    editor, terminal = open_store(), open_store()
    session = new_session(editor)
    with editor.acquire(session.id, "editor") as lease:
        with pytest.raises(SessionBusy) as caught:
            terminal.acquire(session.id, "terminal")
        assert f"in the middle of a turn on session {session.id}" in str(caught.value)
        assert "fork the session" in str(caught.value)
        # ... and where that turn runs: the holder's surface, process and machine.
        assert f"(editor, pid {os.getpid()} on {socket.gethostname()})" in str(caught.value)
        with pytest.raises(SessionBusy) as appending:
            terminal.append(session.id, [UserTurn(text="sneaky")], expected_head=0)
        assert "(editor, pid" in str(appending.value)
        # The holder appends by showing its lease.
        assert editor.append(session.id, [UserTurn(text="a")], expected_head=0, lease=lease) == 1
    # Released: the other process may go.
    with terminal.acquire(session.id, "terminal") as lease:
        assert terminal.append(session.id, [UserTurn(text="b")], expected_head=1, lease=lease) == 2


def test_the_lease_is_reentrant_for_its_owner_and_freed_by_the_last_release(store):
    session = new_session(store)
    outer = store.acquire(session.id, "me")
    inner = store.acquire(session.id, "me")
    inner.release()
    inner.release()  # a second release of the same lease does nothing
    with pytest.raises(SessionBusy):
        store.acquire(session.id, "someone else")
    outer.release()
    store.acquire(session.id, "someone else").release()


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_free_it(store):
    session = new_session(store)
    dead = store.acquire(session.id, "killed", ttl=0.01)
    time.sleep(0.05)  # the holder stopped refreshing, as if killed
    with store.acquire(session.id, "survivor", ttl=30) as alive:
        dead.release()  # must not free the new holder's lease
        with pytest.raises(SessionBusy):
            store.acquire(session.id, "third")
        assert store.append(session.id, [UserTurn(text="x")], expected_head=0, lease=alive) == 1
        with pytest.raises(SessionBusy):  # the old holder's lease no longer lets it write
            store.append(session.id, [UserTurn(text="y")], expected_head=1, lease=dead)


def test_refreshing_a_lease_pushes_its_expiry_and_fails_once_it_was_taken_over(store):
    session = new_session(store)
    lease = store.acquire(session.id, "me", ttl=0.01)
    first = lease.expires
    time.sleep(0.02)
    lease.refresh()  # expired but nobody took it: refreshing takes it back
    assert lease.expires > first
    lease.ttl = 30
    lease.refresh()
    with pytest.raises(SessionBusy):
        store.acquire(session.id, "other")

    lease.ttl = 0.01
    lease.refresh()
    time.sleep(0.02)
    other = store.acquire(session.id, "other", ttl=30)
    with pytest.raises(SessionBusy):
        lease.refresh()
    other.release()
    lease.release()
    with pytest.raises(SessionError, match="already released"):
        lease.refresh()


def test_appending_with_the_lease_keeps_it_alive(store, raw):
    session = new_session(store)
    lease = store.acquire(session.id, "me", ttl=30)
    first = lease.expires
    time.sleep(0.01)
    store.append(session.id, [UserTurn(text="a")], expected_head=0, lease=lease)
    assert lease.expires > first
    assert raw.execute("SELECT lease_expires FROM sessions")[0][0] == lease.expires
    lease.release()


def test_a_lease_for_another_session_is_rejected(store):
    a, b = new_session(store), new_session(store)
    with store.acquire(a.id, "me") as lease, pytest.raises(ValueError):
        store.append(b.id, [UserTurn(text="x")], expected_head=0, lease=lease)


# -- damage ---------------------------------------------------------------------------------------


def test_a_corrupt_record_and_an_unknown_kind_are_skipped_with_a_warning_while_the_rest_loads(
    store, raw, caplog
):
    damaged, intact = new_session(store), new_session(store)
    store.append(damaged.id, [UserTurn(text="zero")], expected_head=0)
    store.append(intact.id, every_kind(), expected_head=0)
    now = time.time()
    raw.insert_turn(damaged.id, 1, "assistant", '{"kind": "assistant", "blo', now)
    raw.insert_turn(damaged.id, 2, "telepathy", '{"kind": "telepathy", "vibes": 11}', now)
    raw.insert_turn(damaged.id, 3, "user", b"\xff\xfe not utf-8", now)
    store.append(damaged.id, [UserTurn(text="four")], expected_head=4)

    with caplog.at_level(logging.WARNING, logger="m2bridge.sessions"):
        loaded = store.load(damaged.id)
    assert [(t.index, t.turn) for t in loaded.turns] == [
        (0, UserTurn(text="zero")),
        (4, UserTurn(text="four")),
    ]
    assert loaded.head == 5  # the unreadable records still hold their indexes
    assert len(loaded.warnings) == 3
    assert all("could not be read and was skipped" in w for w in loaded.warnings)
    assert "turn 1 ('assistant')" in loaded.warnings[0]
    assert "turn 2 ('telepathy')" in loaded.warnings[1] and "newer m2bridge" in loaded.warnings[1]
    assert [r.getMessage() for r in caplog.records if r.name == "m2bridge.sessions"] == loaded.warnings

    assert store.load(intact.id).warnings == []
    assert [t.turn for t in store.load(intact.id).turns] == every_kind()
    assert len(store.list()) == 2
    assert store.append(damaged.id, [UserTurn(text="five")], expected_head=loaded.head) == 6


def test_the_database_itself_refuses_gaps_overwrites_edits_and_deletions_of_turns(store, raw):
    session = new_session(store)
    store.append(session.id, [UserTurn(text="a")], expected_head=0)
    for idx in (0, 2, -1):  # overwrite, gap, nonsense
        with pytest.raises(raw.error, match=r"appended at the session head|UNIQUE"):
            raw.insert_turn(session.id, idx, "user", '{"kind":"user","text":"x"}', 0.0)
    with pytest.raises(raw.error, match="append-only"):
        raw.execute("UPDATE turns SET kind = 'x'")
    with pytest.raises(raw.error, match="only together with their session"):
        raw.execute("DELETE FROM turns")
    assert [t.turn.text for t in store.load(session.id).turns] == ["a"]


# -- fork, remove, list, resolve ------------------------------------------------------------------


def test_fork_copies_every_payload_byte_identically_and_the_fork_is_independent(store, raw):
    original = new_session(store, title="refactor")
    store.append(original.id, every_kind(), expected_head=0, context_tokens=4321)
    # A payload as another writer (or an older version) might have spelled it: key order and
    # spacing that re-serialising would change.
    raw.insert_turn(original.id, 7, "user", '{ "text": "spaced",  "kind": "user" }', 1.5)

    fork = store.fork(original.id)
    assert fork.id != original.id
    assert (fork.title, fork.workspace, fork.protocol, fork.model) == (
        "fork of refactor",
        original.workspace,
        original.protocol,
        original.model,
    )
    assert fork.turns == 8 and fork.context_tokens == 4321

    assert raw.turn_rows(fork.id) == raw.turn_rows(original.id)

    store.append(fork.id, [UserTurn(text="only in the fork")], expected_head=8)
    store.append(original.id, [UserTurn(text="only in the original")], expected_head=8)
    assert store.load(fork.id).turns[-1].turn.text == "only in the fork"
    assert store.load(original.id).turns[-1].turn.text == "only in the original"
    store.remove(original.id)
    assert store.load(fork.id).head == 9
    assert store.fork(fork.id).title == "fork of fork of refactor"


def test_a_session_busy_in_another_process_can_still_be_forked(store):
    session = new_session(store)
    store.append(session.id, [UserTurn(text="a")], expected_head=0)
    with store.acquire(session.id, "other process"):
        fork = store.fork(session.id)
        assert store.append(fork.id, [UserTurn(text="b")], expected_head=1) == 2


def test_remove_deletes_the_session_and_its_turns_only(store, raw):
    keep, drop = new_session(store), new_session(store)
    store.append(keep.id, [UserTurn(text="keep")], expected_head=0)
    store.append(drop.id, [UserTurn(text="drop")], expected_head=0)
    store.remove(drop.id)

    with pytest.raises(SessionNotFound):
        store.get(drop.id)
    with pytest.raises(SessionNotFound):
        store.remove(drop.id)
    assert [s.id for s in store.list()] == [keep.id]
    assert store.load(keep.id).turns[0].turn.text == "keep"
    assert raw.execute("SELECT count(*) FROM turns WHERE session_id = ?", (drop.id,)) == [(0,)]


def test_remove_waits_for_a_running_turn_unless_forced(store):
    session = new_session(store)
    with store.acquire(session.id, "other process"):
        with pytest.raises(SessionBusy):
            store.remove(session.id)
        store.remove(session.id, force=True)
    with pytest.raises(SessionNotFound):
        store.get(session.id)


def test_list_gives_the_most_recently_updated_first_and_filters_by_workspace(store):
    a = new_session(store, "/one")
    b = new_session(store, "/two")
    c = new_session(store, "/one")
    store.append(a.id, [UserTurn(text="a is active again")], expected_head=0)

    assert [s.id for s in store.list()] == [a.id, c.id, b.id]
    assert [s.id for s in store.list(workspace="/one")] == [a.id, c.id]
    assert [s.id for s in store.list(workspace="/nowhere")] == []
    assert [s.id for s in store.list(limit=2)] == [a.id, c.id]
    assert store.list()[0].turns == 1

    assert store.latest("/one").id == a.id
    assert store.latest("/two").id == b.id
    assert store.latest("/nowhere") is None


def test_set_title_renames_without_reordering_the_list(store):
    a, b = new_session(store), new_session(store)
    store.set_title(a.id, "the old one")
    assert store.get(a.id).title == "the old one"
    assert [s.id for s in store.list()] == [b.id, a.id]
    with pytest.raises(SessionNotFound):
        store.set_title("nosuchsession", "x")


def test_session_ids_are_short_random_and_url_safe(store):
    ids = {new_session(store).id for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 12 and set(i) <= set(string.ascii_lowercase + string.digits) for i in ids)
    assert len({new_session(store, "/same").id for _ in range(3)}) == 3  # not derived from the workspace


def test_resolve_accepts_an_exact_id_or_a_unique_prefix_of_at_least_four_characters(
    store, backend, monkeypatch
):
    ids = iter(["abcd11111111", "abcd22222222", "wxyz00000000"])
    monkeypatch.setattr(id_module(backend), "_new_id", lambda: next(ids))
    one, two, other = new_session(store), new_session(store), new_session(store)

    assert store.resolve("abcd11111111") == one
    assert store.resolve("abcd2") == two
    assert store.resolve("  WXYZ ") == other  # forgiving about case and stray spaces
    with pytest.raises(SessionNotFound, match="ambiguous") as caught:
        store.resolve("abcd")
    assert one.id in str(caught.value) and two.id in str(caught.value)
    with pytest.raises(SessionNotFound, match="at least 4 characters"):
        store.resolve("wxy")
    for missing in ("abce", "abcd3", "ab%d", ""):
        with pytest.raises(SessionNotFound):
            store.resolve(missing)


def test_an_id_collision_on_create_is_retried(store, backend, monkeypatch):
    ids = iter(["same00000000", "same00000000", "next00000000"])
    monkeypatch.setattr(id_module(backend), "_new_id", lambda: next(ids))
    assert new_session(store).id == "same00000000"
    assert new_session(store).id == "next00000000"


def test_an_unknown_session_raises_session_not_found_everywhere(store):
    calls = [
        lambda: store.get("nosuchsession"),
        lambda: store.load("nosuchsession"),
        lambda: store.append("nosuchsession", [UserTurn(text="x")], expected_head=0),
        lambda: store.acquire("nosuchsession", "me"),
        lambda: store.fork("nosuchsession"),
        lambda: store.remove("nosuchsession"),
        lambda: store.resolve("nosuchsession"),
    ]
    for call in calls:
        with pytest.raises(SessionNotFound, match="no session with id 'nosuchsession'"):
            call()


def test_a_closed_store_says_so(open_store):
    store = open_store()
    store.close()
    store.close()
    with pytest.raises(SessionError, match="closed"):
        store.list()
