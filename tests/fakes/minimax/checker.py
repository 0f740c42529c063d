"""The strict history check run on every model request: shape, identity, chain and tool results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.fakes.minimax.compare import first_difference
from tests.fakes.minimax.history import Answered, Asked, Entry, Said, anthropic_entries, openai_entries
from tests.fakes.minimax.ledger import EmittedTurn, Ledger
from tests.fakes.minimax.request_info import WireProtocol
from tests.fakes.minimax.shape import anthropic_problems, openai_problems
from tests.fakes.minimax.turns import MARKER_PATTERN


@dataclass(frozen=True)
class Verdict:
    problems: list[str]
    # The turn behind the request's last assistant message: the parent of the turn about to be emitted.
    parent: EmittedTurn | None


def check_request(
    body: dict[str, Any], protocol: WireProtocol, ledger: Ledger, *, accept_converted: bool = False
) -> Verdict:
    shape: Callable[[dict[str, Any]], list[str]]
    shape, entries_of = (
        (anthropic_problems, anthropic_entries)
        if protocol == "anthropic"
        else (openai_problems, openai_entries)
    )
    problems = shape(body)
    if problems:
        return Verdict(problems, None)
    entries = entries_of(body["messages"])
    matched, problems = _identify_all(entries, protocol, ledger, accept_converted)
    if problems:
        return Verdict(problems, None)
    problems = _chain_problems(entries, matched, ledger) + _tool_result_problems(entries, matched)
    return Verdict(problems, matched[-1][1] if matched else None)


# --- identity ----------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _tool_ids(message: dict[str, Any]) -> list[str]:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    ids = [b.get("id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
    ids += [c.get("id") for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    return [i for i in ids if isinstance(i, str)]


def _find_turn(
    message: dict[str, Any], protocol: WireProtocol, ledger: Ledger, previous: EmittedTurn | None
) -> EmittedTurn | None:
    """By tool-call id, else by the [turn tN] marker, else by exact value (custom thinking, no tools)."""
    for tool_id in _tool_ids(message):
        turn = ledger.by_tool_id(tool_id, protocol)
        if turn is not None:
            return turn
    for text in _strings(message):
        for marker in MARKER_PATTERN.findall(text):
            turn = ledger.by_marker(marker, protocol)
            if turn is not None:
                return turn
    same = ledger.by_value(message, protocol)
    following = [t for t in same if previous is not None and t.parent == previous.marker]
    return (following or same or [None])[-1]


def _converted(message: dict[str, Any], protocol: WireProtocol, ledger: Ledger) -> EmittedTurn | None:
    """A turn emitted on the other protocol, converted: same tool ids, and every piece of its thinking
    carried in M2's `<think>` text form at the start of the text (an unsigned thinking block cannot go
    to Anthropic, and OpenAI has no other place for it). Dropping or altering thinking fails."""
    other: WireProtocol = "openai" if protocol == "anthropic" else "anthropic"
    turn = _find_turn(message, other, ledger, None)
    if turn is None or sorted(_tool_ids(message)) != sorted(turn.tool_ids):
        return None
    if not turn.thinking:
        return turn
    text = _converted_text(message, protocol)
    if not text.startswith(f"<think>\n{turn.thinking}\n</think>"):
        return None
    return turn


def _converted_text(message: dict[str, Any], protocol: WireProtocol) -> str:
    """The text a converted turn carries: OpenAI's content, or Anthropic's text blocks in order."""
    content = message.get("content")
    if protocol == "openai" or isinstance(content, str):
        return str(content or "")
    blocks = content if isinstance(content, list) else []
    return "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict) and b.get("type") == "text")


def _comparable(message: dict[str, Any], protocol: WireProtocol) -> dict[str, Any]:
    """OpenAI assistant content that is null, empty or absent is the same nothing: vLLM answers null
    where its stream builds "", and chat templates render all three alike. Anything else stays strict."""
    if protocol == "openai" and message.get("content") in (None, ""):
        return {k: v for k, v in message.items() if k != "content"}
    return message


def _identify_all(
    entries: list[Entry], protocol: WireProtocol, ledger: Ledger, accept_converted: bool = False
) -> tuple[list[tuple[int, EmittedTurn]], list[str]]:
    matched: list[tuple[int, EmittedTurn]] = []
    problems: list[str] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, Said):
            continue
        where = f"messages[{entry.index}]"
        turn = _find_turn(entry.message, protocol, ledger, matched[-1][1] if matched else None)
        if turn is None and accept_converted and (converted := _converted(entry.message, protocol, ledger)):
            matched.append((position, converted))
            continue
        if turn is None:
            problems.append(f"{where}: assistant message the fake never sent (altered or invented)")
            continue
        if not turn.complete:
            problems.append(
                f"{where}: turn {turn.marker} was cut off mid-stream; an incomplete turn was sent back"
            )
            continue
        difference = first_difference(
            _comparable(turn.canonical, protocol), _comparable(entry.message, protocol), where
        )
        if difference:
            problems.append(f"{where} (turn {turn.marker}): {difference}")
            continue
        matched.append((position, turn))
    return matched, problems


# --- chain -------------------------------------------------------------------------------------


def _chain_problems(
    entries: list[Entry], matched: list[tuple[int, EmittedTurn]], ledger: Ledger
) -> list[str]:
    if not matched:
        return []
    summaries = [p for p, e in enumerate(entries) if isinstance(e, Asked) and e.summary]
    # Compaction: turns before the summary may be gone, but from the summary on the chain must be whole.
    checked = [t for p, t in matched if not summaries or p > summaries[-1]]
    if not checked:
        return []
    chain = ledger.chain(checked[-1])
    expected = chain[-len(checked) :] if summaries else chain
    if [t.marker for t in checked] == [t.marker for t in expected]:
        return []
    scope = "after the conversation summary " if summaries else ""
    return [
        f"assistant history {scope}is not the unbroken chain leading to turn {checked[-1].marker}: "
        f"expected turns {[t.marker for t in chain]}{' (any tail)' if summaries else ''}, "
        f"got {[t.marker for t in checked]}"
    ]


# --- tool results ------------------------------------------------------------------------------


def _tool_result_problems(entries: list[Entry], matched: list[tuple[int, EmittedTurn]]) -> list[str]:
    turns = dict(matched)
    problems = []
    for position, entry in enumerate(entries):
        turn = turns.get(position)
        following = entries[position + 1] if position + 1 < len(entries) else None
        if turn is not None and turn.expects_tool_results:
            problems += _answers(turn, following)
        if isinstance(entry, Answered):
            before = turns.get(position - 1)
            if before is None or not before.expects_tool_results:
                problems.append(
                    f"messages[{entry.index}]: tool results {list(entry.ids)} answer no tool call"
                )
    return problems


def _answers(turn: EmittedTurn, following: Entry | None) -> list[str]:
    if not isinstance(following, Answered):
        return [f"tool calls of turn {turn.marker} are not answered by the next message"]
    if turn.native_invokes:
        if len(following.ids) == turn.native_invokes:
            return []
        return [
            f"messages[{following.index}]: {len(following.ids)} tool results for "
            f"{turn.native_invokes} native tool calls of turn {turn.marker}"
        ]
    if sorted(following.ids) == sorted(turn.tool_ids):
        return []
    return [
        f"messages[{following.index}]: tool results answer {sorted(following.ids)}, "
        f"but turn {turn.marker} called {sorted(turn.tool_ids)}"
    ]
