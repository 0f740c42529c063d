"""`m2bridge lsp`: the language server on stdio."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from collections.abc import Sequence

from pygls.io_ import StdoutWriter

from lsp.bridge import ServerOptions
from lsp.framing import FrameReader
from lsp.server import M2LanguageServer, build_server
from lsp.stdio_loop import serve_frames
from m2bridge.process_guard import harden_process

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="m2bridge lsp", description="The m2bridge language server (stdio).")
    parser.add_argument(
        "--read-only", action="store_true", help="only reading tools: no write, edit, run or process tools"
    )
    parser.add_argument("--no-terminal", action="store_true", help="no run_command or process tools")
    # vscode-languageclient adds these to a stdio server's command line.
    parser.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clientProcessId", help=argparse.SUPPRESS)
    return parser


async def _serve(server: M2LanguageServer) -> None:
    """The stdio loop, with the tools' processes killed however it ends (shutdown, exit, EOF).

    Our own frame reader stands in for pygls's, which goes deaf after one malformed header."""
    stop = threading.Event()
    server._stop_event = stop
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
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
        await server.bridge.close()


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()  # commands the tools run cannot read our environ (the API key) or memory
    args = build_parser().parse_args(argv)
    if os.name != "posix":
        print("m2bridge lsp: Windows is not supported yet (the tools need POSIX processes).", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="m2bridge lsp: %(name)s: %(message)s"
    )
    server = build_server(ServerOptions(read_only=args.read_only, no_terminal=args.no_terminal))
    try:
        asyncio.run(_serve(server))
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
    return 0
