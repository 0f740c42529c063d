"""Nothing slow on the event loop: while one client's hostile call runs, another client's `list_dir` on
the same server (a real process over HTTP, two real MCP clients) answers within a second.

Each row is an attack that froze the whole server before: a glob that made the backtracking regex try
every split of a long name, a `wait_for` regex that backtracks exponentially on a line of a's, and a
`read_file` of a FIFO that blocked in `open` until someone wrote to it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.support.mcp_clients import HttpServer, http_client, http_server, server_env, text_of

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and ptys are POSIX")

MODE = "legacy"
_LONG_NAME = "a" * 120
# Long enough that Python's re would need days for `(a+)+$`; short enough to reach the pty in one piece.
_LINE_OF_A = "a" * 40 + "b"


@dataclass
class Served:
    server: HttpServer
    root: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    # A server per row: a row that froze its server must not fail the rows after it.
    root = tmp_path / "repo"
    root.mkdir()
    (root / _LONG_NAME).write_text("x\n")
    (root / "visible.txt").write_text("x\n")
    os.mkfifo(root / "pipe")
    with http_server([root], server_env(tmp_path / "home")) as server:
        yield Served(server, root)


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    result = await client.call_tool(tool, arguments)
    return bool(result.is_error), text_of(result)


async def _hostile_glob(client: Client) -> tuple[bool, str]:
    return await _call(client, "find_files", {"pattern": "*a*a*a*a*a*a*a*a*a*a*b"})


async def _hostile_wait_for(client: Client) -> tuple[bool, str]:
    # The line comes after start_process has returned, so read_process's search is the one that meets it.
    command = f"echo started; sleep 0.5; printf '%s\\n' {_LINE_OF_A}; sleep 30"
    is_error, text = await _call(client, "start_process", {"command": command, "wait_for": "started"})
    assert not is_error and "matched" in text, text
    try:
        return await _call(client, "read_process", {"id": "p1", "wait_for": "(a+)+$", "timeout": 2})
    finally:
        await _call(client, "kill_process", {"id": "p1"})


async def _hostile_fifo(client: Client) -> tuple[bool, str]:
    return await _call(client, "read_file", {"path": "pipe"})


def _glob_found_nothing(is_error: bool, text: str) -> bool:
    return not is_error and "no files match" in text


def _wait_for_timed_out(is_error: bool, text: str) -> bool:
    return not is_error and "not seen yet" in text and _LINE_OF_A in text


def _fifo_refused(is_error: bool, text: str) -> bool:
    return is_error and "FIFO" in text


ATTACKS = {
    "find_files-backtracking-glob": (_hostile_glob, _glob_found_nothing),
    "read_process-backtracking-wait_for": (_hostile_wait_for, _wait_for_timed_out),
    "read_file-fifo-without-writer": (_hostile_fifo, _fifo_refused),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_one_hostile_call_leaves_another_clients_list_dir_answering_within_a_second(
    served: Served, attack: str
) -> None:
    hostile, outcome_is_right = ATTACKS[attack]
    answers: list[tuple[bool, str]] = []
    stalled = False

    async def attacker(client: Client) -> None:
        answers.append(await hostile(client))

    # Bounded as a whole, closing included: closing a client of a frozen server would wait for it.
    with anyio.move_on_after(30) as whole:
        async with (
            http_client(served.server, MODE) as client_a,
            http_client(served.server, MODE) as client_b,
            anyio.create_task_group() as group,
        ):
            assert "visible.txt" in text_of(await client_b.call_tool("list_dir", {}))
            group.start_soon(attacker, client_a)
            await anyio.sleep(0.3)  # let the hostile call reach the server first
            # Client B keeps listing for as long as the attack runs (bounded: 40 rounds).
            for _ in range(40):
                with anyio.move_on_after(1.0) as waited:
                    listing = await client_b.call_tool("list_dir", {})
                if waited.cancelled_caught:
                    stalled = True
                    whole.deadline = anyio.current_time() + 2
                    break
                assert "visible.txt" in text_of(listing)
                if answers:
                    break
                await anyio.sleep(0.1)
            group.cancel_scope.cancel()
    assert not stalled, f"list_dir took over a second while {attack} ran: the event loop was blocked"
    assert not whole.cancelled_caught, "the clients did not finish within 30 s"
    assert answers, "the hostile call was still running after 40 listings"
    is_error, text = answers[0]
    assert outcome_is_right(is_error, text), text
