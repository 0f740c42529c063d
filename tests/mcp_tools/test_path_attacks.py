"""Every path escape against every tool that takes a path, through a real MCP client.

The full matrix runs over the SDK's in-memory transport for speed; a sample repeats over stdio against
`m2bridge mcp` as its own process. Each case must be refused with a clear error, and nothing outside the
root may be read, written or run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from mcp_tools.server.app import build_server
from mcp_tools.toolkit import Toolset
from tests.mcp_tools.attacks import PATH_ATTACKS, fill
from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of
from tests.support.sandbox import SECRET, Sandbox

MARKER = "pwned-marker"

# Each path-taking tool, with the arguments that would do harm if the path were let through.
PATH_TOOLS: dict[str, Callable[[str], dict[str, Any]]] = {
    "read_file": lambda p: {"path": p},
    "write_file": lambda p: {"path": p, "content": "pwned"},
    "edit_file": lambda p: {"path": p, "old_string": "TOP", "new_string": "pwned"},
    "list_dir": lambda p: {"path": p},
    "find_files": lambda p: {"pattern": "*", "path": p},
    "search": lambda p: {"pattern": "TOP", "path": p},
    "git_status": lambda p: {"repo_path": p},
    "git_diff": lambda p: {"repo_path": p},
    "git_log": lambda p: {"repo_path": p},
    "git_show": lambda p: {"repo_path": p, "revision": "HEAD"},
    "git_blame": lambda p: {"repo_path": ".", "path": p},
    "run_command": lambda p: {"command": f"cat secret.txt; touch {MARKER}", "cwd": p},
    "start_process": lambda p: {"command": f"cat secret.txt; touch {MARKER}", "cwd": p},
}
REFUSAL = re.compile(
    r"outside the allowed roots|NUL byte|`~`|URL|symlink|backslash|file:// URI|absolute local path|read-only",
)
STDIO_SAMPLE = [
    "dotdot_relative",
    "sibling_prefix_absolute",
    "symlinked_folder_out",
    "nul_byte",
    "file_uri_dotdot",
]


def attack_path(sandbox: Sandbox, attack: str) -> str:
    return fill(
        PATH_ATTACKS[attack],
        root=str(sandbox.root),
        outside=str(sandbox.outside),
        sibling=str(sandbox.sibling),
    )


def assert_refused_and_harmless(
    tool: str, attack: str, result: Any, sandbox: Sandbox, before: dict[str, bytes]
) -> None:
    text = text_of(result)
    assert result.is_error, f"{tool} let {attack} through: {text[:300]}"
    assert REFUSAL.search(text), f"{tool}/{attack}: unclear refusal: {text[:300]}"
    assert SECRET not in text, f"{tool}/{attack} read the secret"
    assert sandbox.outside_snapshot() == before, f"{tool}/{attack} changed a file outside the root"
    assert not list(sandbox.base.rglob(MARKER)), f"{tool}/{attack} ran a command"


def test_the_matrix_covers_at_least_thirty_escapes() -> None:
    assert len(PATH_ATTACKS) >= 30


@pytest.mark.parametrize("tool", sorted(PATH_TOOLS))
async def test_every_path_escape_is_refused(toolset: Toolset, sandbox: Sandbox, tool: str) -> None:
    before = sandbox.outside_snapshot()
    # The client lives inside the test: an async fixture would enter and leave it in different tasks.
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        for attack in sorted(PATH_ATTACKS):
            result = await client.call_tool(tool, PATH_TOOLS[tool](attack_path(sandbox, attack)))
            assert_refused_and_harmless(tool, attack, result, sandbox, before)


async def test_a_sample_of_escapes_is_refused_over_stdio_too(sandbox: Sandbox) -> None:
    before = sandbox.outside_snapshot()
    async with stdio_client(stdio_params([sandbox.root], server_env(sandbox.home)), "legacy") as client:
        for tool in sorted(PATH_TOOLS):
            for attack in STDIO_SAMPLE:
                result = await client.call_tool(tool, PATH_TOOLS[tool](attack_path(sandbox, attack)))
                assert_refused_and_harmless(tool, attack, result, sandbox, before)


async def test_client_roots_narrow_the_tools_to_a_subfolder(toolset: Toolset, sandbox: Sandbox) -> None:
    from mcp_types import ListRootsResult, Root

    async def roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=f"file://{sandbox.root}/sub")])

    server = build_server(toolset.tools, toolset.context)
    async with Client(server, mode="legacy", list_roots_callback=roots) as narrowed:
        inside = await narrowed.call_tool("read_file", {"path": str(sandbox.root / "sub" / "notes.md")})
        assert not inside.is_error, text_of(inside)
        outside_sub = await narrowed.call_tool("read_file", {"path": str(sandbox.root / "hello.py")})
        assert outside_sub.is_error and "outside the allowed roots" in text_of(outside_sub)
