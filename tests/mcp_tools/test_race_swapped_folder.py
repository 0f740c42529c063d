"""Attack: a process inside the root swaps a folder for a symlink to outside while the tools use it.

Another process exchanges `d` (a real folder in the root) with a symlink to the outside folder, over and
over, while a real MCP client calls read_file, write_file, edit_file, list_dir, search and find_files on
paths through `d`.
The path check may pass while `d` is the folder and the use come after the swap: the tools must never
read, write or list what is outside. Each test checks that the swapper really swapped during the calls.
"""

from __future__ import annotations

from pathlib import Path

from mcp import Client

from mcp_tools.server.app import build_server
from mcp_tools.toolkit import Toolset
from tests.mcp_tools.swapper import swapping
from tests.support.mcp_clients import text_of
from tests.support.sandbox import SECRET, Sandbox

# At least 300 of each; reads and listings are cheap, so more of them (each try is a chance to win).
CALLS = 300
READS = 1000
LISTINGS = 400
# Each search starts a ripgrep process: fewer, but each walks `d` at an unknown moment of the swapping.
SEARCHES = 100
INSIDE = "harmless inside text\n"
OUTSIDE_ONLY = "OUTSIDE-ONLY-ENTRY.txt"


def plant(sandbox: Sandbox) -> tuple[Path, Path]:
    """`d` holding a harmless secret.txt; `.swap`, a symlink to the outside folder holding the real one."""
    folder = sandbox.root / "d"
    (folder / "deeper").mkdir(parents=True)
    (folder / "secret.txt").write_text(INSIDE)
    (folder / "deeper" / "inner.txt").write_text(INSIDE)
    (sandbox.outside / OUTSIDE_ONLY).write_text(SECRET)
    (sandbox.outside / "deeper").mkdir()
    # Holds the text edit_file looks for: an edit that escaped would change it and show it in its diff.
    (sandbox.outside / "deeper" / "inner.txt").write_text(SECRET + " text\n")
    link = sandbox.root / ".swap"
    link.symlink_to(sandbox.outside)
    return folder, link


async def test_read_file_never_reads_outside_through_a_folder_swapped_for_a_symlink(
    toolset: Toolset, sandbox: Sandbox
) -> None:
    folder, link = plant(sandbox)
    answers: list[tuple[bool, str]] = []
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        with swapping(folder, link) as swaps:
            for n in range(READS):
                path = "d/secret.txt" if n % 2 else "d/deeper/inner.txt"
                result = await client.call_tool("read_file", {"path": path})
                answers.append((result.is_error, text_of(result)))
    won = [text for _, text in answers if SECRET in text]
    assert not won, f"{len(won)} of {READS} reads returned the outside file: {won[0][:200]}"
    assert swaps.count >= READS, f"the swapper made only {swaps.count} swaps"
    read_inside = sum(1 for error, text in answers if not error and "harmless inside text" in text)
    refused = sum(1 for error, _ in answers if error)
    # Both outcomes seen: the swaps really overlapped the calls (and reads inside still work).
    assert read_inside and refused, f"{read_inside} read inside, {refused} refused"


async def test_write_and_edit_never_reach_outside_through_a_folder_swapped_for_a_symlink(
    toolset: Toolset, sandbox: Sandbox
) -> None:
    folder, link = plant(sandbox)
    before = sandbox.outside_snapshot()
    errors = 0
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        with swapping(folder, link) as swaps:
            for n in range(CALLS):
                written = await client.call_tool(
                    "write_file",
                    {"path": "d/secret.txt" if n % 2 else f"d/new-{n}.txt", "content": f"w{n}\n"},
                )
                edited = await client.call_tool(
                    "edit_file", {"path": "d/deeper/inner.txt", "old_string": "text", "new_string": "text."}
                )
                errors += written.is_error + edited.is_error
                for result in (written, edited):
                    assert SECRET not in text_of(result)
    assert sandbox.outside_snapshot() == before, "a write reached the outside folder"
    assert swaps.count >= CALLS, f"the swapper made only {swaps.count} swaps"
    assert 0 < errors < 2 * CALLS, f"{errors} of {2 * CALLS} calls refused: the race never overlapped"
    assert (folder / "secret.txt").read_text().startswith("w")


async def test_list_dir_never_lists_outside_through_a_folder_swapped_mid_walk(
    toolset: Toolset, sandbox: Sandbox
) -> None:
    folder, link = plant(sandbox)
    listings: list[str] = []
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        with swapping(folder, link) as swaps:
            for _ in range(LISTINGS):
                result = await client.call_tool(
                    "list_dir", {"path": ".", "depth": 3, "include_ignored": True}
                )
                assert not result.is_error, text_of(result)
                listings.append(text_of(result))
    leaked = [text for text in listings if OUTSIDE_ONLY in text]
    assert not leaked, f"{len(leaked)} listings showed the outside folder:\n{leaked[0]}"
    assert swaps.count >= LISTINGS, f"the swapper made only {swaps.count} swaps"
    entered = sum(1 for text in listings if "inner.txt" in text)
    shown_as_link = sum(1 for text in listings if "d -> " in text)
    assert entered and shown_as_link, f"descended {entered}, saw the link {shown_as_link}: no overlap"


async def test_search_and_find_files_never_reach_outside_through_a_folder_swapped_mid_walk(
    toolset: Toolset, sandbox: Sandbox
) -> None:
    # ripgrep walks by path itself: only confining its reads to the roots keeps its walk inside.
    folder, link = plant(sandbox)
    answers: list[str] = []
    everything = {"include_ignored": True, "include_hidden": True}
    async with Client(build_server(toolset.tools, toolset.context)) as client:
        with swapping(folder, link) as swaps:
            for _ in range(SEARCHES):
                found = await client.call_tool("search", {"pattern": "TOP-SECRET|harmless", **everything})
                listed = await client.call_tool("find_files", {"pattern": "*.txt", "include_ignored": True})
                answers += [text_of(found), text_of(listed)]
    leaked = [text for text in answers if SECRET in text or f"d/{OUTSIDE_ONLY}" in text]
    assert not leaked, f"{len(leaked)} answers reached outside:\n{leaked[0][:400]}"
    assert swaps.count >= SEARCHES, f"the swapper made only {swaps.count} swaps"
    assert any("harmless inside text" in text for text in answers), "search never saw d's own file"
