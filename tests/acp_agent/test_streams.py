"""stdout carries JSON-RPC only: once the protocol holds its copy of stdout, a print, a write to fd 1 and
a child process that inherits fd 1 all land on stderr."""

from __future__ import annotations

import subprocess
import sys

from tests.support.env import ROOT

PROGRAM = """
import asyncio, os, subprocess, sys
from acp_agent.streams import protocol_streams

async def main():
    reader, writer = await protocol_streams()
    print("a stray print")
    os.write(1, b"a raw write to fd 1\\n")
    subprocess.run(["echo", "a child's output"], check=True)
    writer.write(b'{"jsonrpc": "2.0", "method": "only/this"}\\n')
    await writer.drain()

asyncio.run(main())
"""


def test_only_the_protocols_writes_reach_stdout_and_everything_else_goes_to_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout == '{"jsonrpc": "2.0", "method": "only/this"}\n'
    for stray in ("a stray print", "a raw write to fd 1", "a child's output"):
        assert stray in done.stderr
