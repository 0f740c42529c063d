"""Secrets stay out of tool answers: whatever printed the API key or the HTTP token (a `.env` file, a
command reading its parent's environment, a search hit, a spilled log), the answer the model sees and the
session stores has the value replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_tools.toolkit import ToolOptions, Toolset, open_toolset

KEY = "sk-live-0123456789abcdef"
TOKEN = "tok_" + "q" * 39


@pytest.fixture
async def toolset(tmp_path: Path) -> AsyncIterator[Toolset]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".env").write_text(f"MINIMAX_API_KEY={KEY}\nHTTP_TOKEN={TOKEN}\nOTHER=plain\n")
    opened = open_toolset(ToolOptions(roots=[root], home=tmp_path / "home", secrets=(KEY, TOKEN, "")))
    yield opened
    await opened.aclose()


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read_file", {"path": ".env"}),
        ("search", {"pattern": "KEY|TOKEN", "include_hidden": True}),
        ("run_command", {"command": "cat .env"}),
        ("start_process", {"command": "cat .env; echo done-reading", "wait_for": "done-reading"}),
    ],
)
async def test_a_tool_answer_never_carries_the_key_or_the_token(
    toolset: Toolset, tool: str, arguments: dict[str, object]
) -> None:
    outcome = await toolset.named(tool).call(arguments)
    assert KEY not in outcome.content and TOKEN not in outcome.content, outcome.content
    assert "[secret removed]" in outcome.content, outcome.content


async def test_a_spilled_output_holding_the_key_is_redacted_when_paged_back(toolset: Toolset) -> None:
    ran = await toolset.named("run_command").call({"command": f"yes '{KEY}' | head -c 200000"})
    assert KEY not in ran.content
    spilled = next(line for line in ran.content.splitlines() if "the whole output is in" in line)
    path = spilled.split("the whole output is in ", 1)[1].split(" (read it", 1)[0]
    paged = await toolset.named("read_file").call({"path": path, "limit": 5})
    assert not paged.is_error, paged.content
    assert KEY not in paged.content and "[secret removed]" in paged.content


async def test_ordinary_text_and_short_values_are_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.txt").write_text("x = 1\n")
    opened = open_toolset(ToolOptions(roots=[root], home=tmp_path / "home", secrets=("x",)))
    try:
        outcome = await opened.named("read_file").call({"path": "a.txt"})
    finally:
        await opened.aclose()
    assert outcome.content.endswith("x = 1")
