"""The packaged tool manifest and the toolset's stand-ins: what a client is shown before a tool's module is
imported is what the tool itself says once built, and a toolset holds the tools it always held."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from m2bridge.tools import Tool, ToolSpec
from mcp_tools.catalog import MODULES, LazyTool, every_ref
from mcp_tools.manifest import MANIFEST, generate, render
from mcp_tools.media import MediaConfig, media_tools
from mcp_tools.repo.files import EditFile, ReadFile, WriteFile
from mcp_tools.repo.git import git_tools
from mcp_tools.repo.listing import FindFiles, ListDir
from mcp_tools.repo.search import SearchTool
from mcp_tools.terminal import ProcessRegistry, terminal_tools
from mcp_tools.terminal.registry import ProcessRegistry as Registry
from mcp_tools.toolkit import ToolOptions, Toolset, open_toolset

Opener = Callable[..., Toolset]

OPTIONS = [
    {},
    {"read_only": True},
    {"no_terminal": True},
]


def test_the_packaged_manifest_is_what_the_tool_classes_make_now() -> None:
    assert MANIFEST.read_text(encoding="utf-8") == render(generate()), (
        "mcp_tools/tools.json is out of date: run `python -m mcp_tools.manifest` and commit it"
    )


def test_each_module_loader_of_the_catalog_loads_the_module_it_is_filed_under() -> None:
    assert {name: load().__name__ for name, load in MODULES.items()} == {name: name for name in MODULES}
    assert {ref.partition(":")[0] for ref in every_ref()} == set(MODULES)


def _built(tool: Tool) -> Tool:
    assert isinstance(tool, LazyTool)
    return tool.tool()


def _plain(spec: ToolSpec) -> ToolSpec:
    return replace(spec, input_schema=dict(spec.input_schema))


@pytest.fixture
async def open_with(tmp_path: Path) -> AsyncIterator[Opener]:
    opened: list[Toolset] = []

    def open_(**flags: Any) -> Toolset:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        toolset = open_toolset(ToolOptions(roots=[root], home=tmp_path / "home", **flags))
        opened.append(toolset)
        return toolset

    yield open_
    for toolset in opened:
        await toolset.aclose()  # kills whatever a test started


@pytest.mark.parametrize("flags", OPTIONS)
def test_each_tool_is_listed_with_the_spec_it_has_once_built(
    open_with: Opener, flags: dict[str, bool]
) -> None:
    toolset = open_with(**flags)
    for tool in toolset.tools:
        assert _plain(tool.spec) == _plain(_built(tool).spec)


@pytest.mark.parametrize("flags", OPTIONS)
def test_a_toolset_holds_the_tools_the_packages_make_in_their_order(
    open_with: Opener, flags: dict[str, bool], tmp_path: Path
) -> None:
    toolset = open_with(**flags)
    ctx = toolset.context
    read_only = flags.get("read_only", False)
    expected: list[Tool] = [ReadFile(ctx), ListDir(ctx), FindFiles(ctx), SearchTool(ctx), *git_tools(ctx)]
    if not read_only:
        expected += [WriteFile(ctx), EditFile(ctx)]
    expected += media_tools(ctx, MediaConfig.from_env({}, tmp_path), read_only=read_only)
    if not read_only and not flags.get("no_terminal", False):
        expected += terminal_tools(ctx, ProcessRegistry())
    assert [type(_built(tool)) for tool in toolset.tools] == [type(tool) for tool in expected]


async def test_the_process_registry_is_made_by_the_first_terminal_tool_and_shared(
    open_with: Opener,
) -> None:
    toolset = open_with()
    assert toolset.processes is None
    started = await toolset.named("start_process").call({"command": "echo up", "wait_for": "up"})
    assert not started.is_error, started.content
    assert isinstance(toolset.processes, Registry)
    listed = await toolset.named("list_processes").call({})
    assert "echo up" in listed.content
    await toolset.aclose()


async def test_a_terminal_tool_first_called_after_the_toolset_closed_starts_nothing(
    open_with: Opener,
) -> None:
    toolset = open_with()
    await toolset.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await toolset.named("start_process").call({"command": "sleep 30"})
    assert toolset.processes is None
