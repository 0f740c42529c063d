"""Attack: a FIFO, a socket or a device in a root, handed to the file tools, must not freeze the server.

Only regular files are read or written: each tool refuses the others promptly with a message naming what
the file is, and leaves it as it was (nothing written into the FIFO, no node replaced). Driven through a
real MCP client against `m2bridge mcp` as its own process, so a server frozen by a blocking open shows up
as a timeout here instead of freezing the test.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of
from tests.support.sandbox import Sandbox

# What each special file is called in the refusal.
KINDS = {"pipe": "FIFO", "sock": "socket", "devnull": "character device"}
PROMPT = 5.0

FILE_CALLS: dict[str, dict[str, Any]] = {
    "read_file": {},
    "write_file": {"content": "pwned\n"},
    "edit_file": {"old_string": "a", "new_string": "pwned"},
    "search": {"pattern": "a"},
}


@pytest.fixture
def specials(sandbox: Sandbox) -> Iterator[dict[str, Path]]:
    """A FIFO, a listening unix socket and (where this user may make one) a copy of /dev/null in the root."""
    made = {"pipe": sandbox.root / "pipe", "sock": sandbox.root / "sock", "devnull": sandbox.root / "devnull"}
    os.mkfifo(made["pipe"])
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(made["sock"]))
    listener.listen(1)
    try:
        os.mknod(made["devnull"], 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        del made["devnull"]  # only root may make device nodes; a symlink to one is refused as outside
    try:
        yield made
    finally:
        listener.close()


def kind_on_disk(path: Path) -> int:
    return stat.S_IFMT(path.lstat().st_mode)


async def test_file_tools_refuse_a_fifo_socket_or_device_promptly_and_leave_it_alone(
    sandbox: Sandbox, specials: dict[str, Path]
) -> None:
    kinds_before = {name: kind_on_disk(path) for name, path in specials.items()}
    # Held open for reading: anything a tool wrote into the FIFO would wait here.
    reader = os.open(specials["pipe"], os.O_RDONLY | os.O_NONBLOCK)
    try:
        params = stdio_params([sandbox.root], server_env(sandbox.home))
        async with stdio_client(params, "legacy") as client:
            for name in specials:
                for tool, extra in FILE_CALLS.items():
                    with anyio.fail_after(PROMPT):
                        result = await client.call_tool(tool, {"path": name, **extra})
                    text = text_of(result)
                    assert result.is_error, f"{tool} on the {KINDS[name]} answered: {text[:200]}"
                    assert KINDS[name] in text and "regular file" in text, f"{tool}: unclear: {text[:200]}"
            for tool, arguments in (
                ("list_dir", {}),
                ("find_files", {"pattern": "*"}),
                ("search", {"pattern": "x"}),
            ):
                with anyio.fail_after(PROMPT):
                    result = await client.call_tool(tool, arguments)
                assert not result.is_error, text_of(result)
            with anyio.fail_after(PROMPT):
                listing = text_of(await client.call_tool("list_dir", {"include_ignored": True}))
        try:
            leaked = os.read(reader, 4096)
        except BlockingIOError:
            leaked = b""
    finally:
        os.close(reader)
    assert leaked == b"", f"a tool wrote into the FIFO: {leaked!r}"
    assert {name: kind_on_disk(path) for name, path in specials.items()} == kinds_before
    assert "pipe  [a FIFO (named pipe)]" in listing and "sock  [a socket]" in listing
