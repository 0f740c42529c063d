"""The MCP server over the SDK's in-memory client: what a call hands the tool, and what start-up builds."""

from __future__ import annotations

import json
import subprocess
import sys

from mcp import Client

from mcp_tools.catalog import LazyTool
from mcp_tools.server.app import build_server
from mcp_tools.toolkit import Toolset
from tests.support.mcp_clients import text_of
from tests.support.sandbox import Sandbox


async def test_json_text_for_a_text_argument_is_written_as_text(toolset: Toolset, sandbox: Sandbox) -> None:
    # The SDK's own argument model parsed any JSON-looking string, so this content became a dict.
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        for name, text in [("data.json", '{"a": [1, 2]}'), ("list.json", "[1, 2]"), ("null.txt", "null")]:
            result = await client.call_tool("write_file", {"path": name, "content": text})
            assert not result.is_error, text_of(result)
            assert (sandbox.root / name).read_text() == text


async def test_a_list_argument_sent_as_a_json_string_is_read_as_the_list(toolset: Toolset) -> None:
    # Claude Desktop sends list arguments as JSON text; the schema says array, so it is read as one.
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        as_text = await client.call_tool("search", {"pattern": "hello", "glob": '["*.md"]'})
        as_list = await client.call_tool("search", {"pattern": "hello", "glob": ["*.md"]})
        everywhere = await client.call_tool("search", {"pattern": "hello"})
    assert not as_text.is_error, text_of(as_text)
    assert text_of(as_text) == text_of(as_list)
    assert "hello.py" in text_of(everywhere) and "hello.py" not in text_of(as_text)


async def test_a_null_argument_takes_the_tools_default(toolset: Toolset) -> None:
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        result = await client.call_tool("read_file", {"path": "hello.py", "offset": None})
    assert not result.is_error and "print('hello')" in text_of(result)


async def test_an_argument_the_schema_does_not_name_is_refused_by_name(toolset: Toolset) -> None:
    # The schema says additionalProperties: false; the SDK's model used to drop such an argument silently.
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        result = await client.call_tool("read_file", {"path": "hello.py", "lines": 3})
    assert listed["read_file"].input_schema["additionalProperties"] is False
    assert result.is_error and "read_file: invalid arguments: lines" in text_of(result)


async def test_every_tool_is_listed_with_its_own_schema_and_hints(toolset: Toolset) -> None:
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(listed) == {tool.spec.name for tool in toolset.tools}
    for tool in toolset.tools:
        # The built tool's own spec, not the manifest's copy of it.
        spec = tool.tool().spec if isinstance(tool, LazyTool) else tool.spec
        shown = listed[spec.name]
        assert shown.input_schema == dict(spec.input_schema)
        assert shown.description == spec.description
        assert shown.annotations is not None
        assert shown.annotations.read_only_hint == spec.read_only
        assert shown.annotations.destructive_hint == spec.destructive


START_UP = """
import json, sys, tempfile
from pathlib import Path
import anyio
from mcp import Client
from mcp_tools.catalog import every_ref
from mcp_tools.server.app import build_server
from mcp_tools.toolkit import ToolOptions, open_toolset

async def main():
    toolset = open_toolset(ToolOptions(roots=[sys.argv[1]], home=Path(tempfile.mkdtemp())))
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        listed = (await client.list_tools()).tools
    tool_modules = {ref.partition(":")[0] for ref in every_ref()}
    print(json.dumps({
        "listed": len(listed),
        "imported": sorted(tool_modules & set(sys.modules)),
        "argument models": "mcp_tools.base" in sys.modules,
        "httpx": "httpx" in sys.modules,
    }))

anyio.run(main)
"""


def test_listing_the_tools_imports_no_tool_module_builds_no_argument_model_and_loads_no_http_client(
    sandbox: Sandbox,
) -> None:
    # A fresh process: in this one, other tests have long imported the tools and built their models.
    done = subprocess.run(
        [sys.executable, "-c", START_UP, str(sandbox.root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == {"listed": 25, "imported": [], "argument models": False, "httpx": False}
