"""A ToolContext over a temporary repo, the six terminal tools, and a registry closed after each test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_tools.base import ModelTool
from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.terminal import ProcessRegistry, terminal_tools
from mcp_tools.tool_context import ToolContext, child_environment


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def ctx(tmp_path: Path, repo: Path) -> ToolContext:
    spill = tmp_path / "spill"
    spill.mkdir()
    return ToolContext(
        base_policy=PathPolicy.of([repo], read_only_roots=[spill]),
        spill=Spill(spill),
        workspace=None,  # type: ignore[arg-type]  # the terminal tools never use it
        child_env=child_environment({**os.environ, "MINIMAX_API_KEY": "sk-secret"}),
    )


@pytest.fixture
async def registry() -> AsyncIterator[ProcessRegistry]:
    registry = ProcessRegistry(grace=0.5)
    yield registry
    await registry.close()


@pytest.fixture
def tools(ctx: ToolContext, registry: ProcessRegistry) -> dict[str, ModelTool]:
    return {tool.name: tool for tool in terminal_tools(ctx, registry)}
