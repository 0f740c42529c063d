"""`m2bridge lsp`: the language server on stdio."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO

from pygls.io_ import StdoutWriter

from lsp.framing import FrameReader
from lsp.server import M2LanguageServer, ServerOptions, build_server
from lsp.stdio_loop import serve_frames
from m2bridge.exits import output_closed
from m2bridge.process_guard import harden_process
from m2bridge.sandbox_choice import add_sandbox_arguments, flag_choice

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="m2bridge lsp", description="The m2bridge language server (stdio).")
    parser.add_argument(
        "--read-only", action="store_true", help="only reading tools: no write, edit, run or process tools"
    )
    parser.add_argument("--no-terminal", action="store_true", help="no run_command or process tools")
    add_sandbox_arguments(parser)
    # vscode-languageclient adds these to a stdio server's command line.
    parser.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clientProcessId", help=argparse.SUPPRESS)
    return parser


class _ClientWriter(StdoutWriter):
    """pygls's stdout writer, for a client that may close our output: the first write that finds the pipe
    closed sends the rest to /dev/null and stops the server, instead of pygls logging a traceback for every
    message still to send. The loop ends at the next message or the end of input."""

    def __init__(self, stdout: BinaryIO, stop: threading.Event) -> None:
        super().__init__(stdout)
        self._stop = stop
        self.closed_by_client = False

    def write(self, data: bytes) -> None:
        if self.closed_by_client:
            return
        try:
            super().write(data)
        except BrokenPipeError:
            self.closed_by_client = True
            output_closed()
            self._stop.set()


async def _serve(server: M2LanguageServer) -> bool:
    """The stdio loop, with the tools' processes killed however it ends (shutdown, exit, EOF).

    Our own frame reader stands in for pygls's, which goes deaf after one malformed header.
    True when it ended because the client closed our output."""
    # Our loop's own stop flag: pygls's `shutdown()` sets only the event of a loop pygls started, and we
    # call it only after this loop has ended, so nothing else needs to reach this one.
    stop = threading.Event()
    writer = _ClientWriter(sys.stdout.buffer, stop)
    server.protocol.set_writer(writer)
    logger = logging.getLogger("lsp.stdio")
    try:
        await serve_frames(
            stop_event=stop,
            reader=FrameReader(sys.stdin.buffer, logger),
            protocol=server.protocol,
            executor=server.thread_pool,
            logger=logger,
            error_handler=server.report_server_error,
        )
    finally:
        await server.conversations.close()
    return writer.closed_by_client


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()  # commands the tools run cannot read our environ (the API key) or memory
    args = build_parser().parse_args(argv)
    if os.name != "posix":
        print("m2bridge lsp: Windows is not supported yet (the tools need POSIX processes).", file=sys.stderr)
        return 1
    # The level follows the prefix: the VS Code extension logs each line at it (client.ts serverLogLevel).
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="m2bridge lsp: %(levelname)s %(name)s: %(message)s"
    )
    options = ServerOptions(read_only=args.read_only, no_terminal=args.no_terminal, sandbox=flag_choice(args))
    server = build_server(options)
    output_gone = False
    try:
        output_gone = asyncio.run(_serve(server))
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
    return output_closed() if output_gone else 0
