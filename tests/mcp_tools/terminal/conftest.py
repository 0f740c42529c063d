"""A ToolContext over a temporary repo, the six terminal tools, and a registry closed after each test.

The context is the default one: commands run in the default sandbox (workspace-write, no network).
Their environment carries a token per test, by which `procs.still_running` finds what is left of them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_tools.base import ModelTool
from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.terminal import ProcessRegistry, terminal_tools
from mcp_tools.tool_context import ToolContext, child_environment
from tests.mcp_tools.terminal.procs import TOKEN_VARIABLE


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def token() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def ctx(tmp_path: Path, repo: Path, token: str) -> ToolContext:
    spill = tmp_path / "spill"
    spill.mkdir()
    return ToolContext(
        base_policy=PathPolicy.of([repo], read_only_roots=[spill]),
        spill=Spill(spill),
        workspace=None,  # type: ignore[arg-type]  # the terminal tools never use it
        child_env=child_environment({**os.environ, "MINIMAX_API_KEY": "sk-secret", TOKEN_VARIABLE: token}),
    )


@pytest.fixture
async def registry() -> AsyncIterator[ProcessRegistry]:
    registry = ProcessRegistry(grace=0.5)
    yield registry
    await registry.close()


@pytest.fixture
def tools(ctx: ToolContext, registry: ProcessRegistry) -> dict[str, ModelTool]:
    return {tool.name: tool for tool in terminal_tools(ctx, registry)}
