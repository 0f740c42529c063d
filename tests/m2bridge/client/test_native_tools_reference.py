"""Native `<minimax:tool_call>` parsing against the published test vectors of the reference parsers.

The vectors (tests/m2bridge/client/reference/*.json) restate, as data, the inputs and assertions of
vLLM's and SGLang's MiniMax-M2 parser tests and the examples of MiniMax's tool-calling guide. Every
vector must agree with m2bridge, unless it is marked `deliberate_difference` with a reason and with
what m2bridge gives instead; broken markup must never be accepted silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from m2bridge.client.native_tools import NativeParse, parse_tool_calls
from tests.support.same_json import same

REFERENCE = Path(__file__).parent / "reference"
FILES = sorted(REFERENCE.glob("*.json"))


def load(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["source"]["licence"] and data["source"]["repo"], (
        f"{path.name} must name its source and licence"
    )
    return data["vectors"]


VECTORS = [(path.stem, vector) for path in FILES for vector in load(path)]


def outcome(parsed: NativeParse) -> list[dict[str, Any]]:
    calls = []
    for found in parsed.calls:
        call: dict[str, Any] = {"name": found.name, "arguments": found.arguments}
        if found.error is not None:
            call["error"] = found.error
        calls.append(call)
    return calls


def agrees(calls: list[dict[str, Any]], text: str, expected: dict[str, Any]) -> bool:
    """Whether m2bridge's result is the expected one.

    Visible text is compared without its surrounding whitespace: m2bridge displays it, and the line
    breaks around a wrapper are the template's layout, not the model's words.
    """
    if len(calls) != len(expected["calls"]):
        return False
    if not all(same(c, e) for c, e in zip(calls, expected["calls"], strict=True)):
        return False
    return "text" not in expected or text.strip() == expected["text"].strip()


def parse(vector: dict[str, Any]) -> NativeParse:
    tools = vector.get("tools") or {}
    if "chunks" in vector:
        # The reference's streaming chunks are kept as data; m2bridge parses the assembled content.
        assert "".join(vector["chunks"]) == vector["text"]
    return parse_tool_calls(vector["text"], tools)


@pytest.mark.parametrize(("source", "vector"), VECTORS, ids=[v["id"] for _, v in VECTORS])
def test_each_reference_vector_agrees_or_differs_deliberately_with_a_reason(
    source: str, vector: dict[str, Any]
) -> None:
    parsed = parse(vector)
    calls = outcome(parsed)
    reason = vector.get("deliberate_difference")
    if reason is None:
        assert all("error" not in c for c in calls), calls
        assert agrees(calls, parsed.text, vector["expected"]), (calls, parsed.text, vector["expected"])
        return
    assert isinstance(reason, str) and len(reason) > 20, "a deliberate difference needs its reason"
    mine = vector["m2bridge"]
    assert agrees(calls, parsed.text, mine), (calls, parsed.text, mine)
    # The mark must be true: the reference really expects something else.
    assert not agrees(mine["calls"], mine.get("text", parsed.text), vector["expected"])


@pytest.mark.parametrize(
    ("source", "vector"),
    [(s, v) for s, v in VECTORS if v.get("broken_markup")],
    ids=[v["id"] for _, v in VECTORS if v.get("broken_markup")],
)
def test_broken_markup_in_the_vectors_is_never_accepted_silently(source: str, vector: dict[str, Any]) -> None:
    calls = parse(vector).calls
    assert calls and any(c.error for c in calls)


def test_the_vector_files_hold_every_reference_and_name_their_sources() -> None:
    names = {path.name for path in FILES}
    assert names == {
        "minimax_m2_tool_calling_guide.json",
        "sglang_minimax_m2_detector.json",
        "vllm_minimax_m2_tool_parser.json",
    }
    assert len(VECTORS) >= 100
    ids = [v["id"] for _, v in VECTORS]
    assert len(ids) == len(set(ids))


def test_the_differences_are_few_and_each_has_a_reason() -> None:
    differing = [v for _, v in VECTORS if "deliberate_difference" in v]
    agreeing = len(VECTORS) - len(differing)
    assert agreeing > 2 * len(differing)
    assert all(v["deliberate_difference"].strip() for v in differing)
