"""`m2bridge` entry point: parse arguments, dispatch, and turn failures into exit codes.

Exit codes: 0 success, 1 runtime failure (one-line cause on stderr), 2 usage error. A reader that closes
our output early (`| head`) ends the command quietly with 1 (see `m2bridge.exits`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from m2bridge import __version__
from m2bridge.errors import M2BridgeError
from m2bridge.exits import describe_os_error, flush_stdout, output_closed
from m2bridge.process_guard import harden_process
from m2bridge.sandbox_choice import add_sandbox_arguments

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="m2bridge", description="MiniMax-M2 from any editor or terminal.")
    parser.add_argument("--version", action="version", version=f"m2bridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser("chat", help="talk to M2 in the terminal (or one turn with -p)")
    which = chat.add_mutually_exclusive_group()
    which.add_argument("--session", metavar="ID", help="continue this session (an id or a unique prefix)")
    which.add_argument(
        "--continue", dest="continue_", action="store_true", help="continue this project's latest"
    )
    chat.add_argument("-p", "--prompt", metavar="PROMPT", help="send one prompt, print the answer, exit")
    chat.add_argument("--json", action="store_true", help="with -p: print exactly one JSON object")
    chat.add_argument("--yes", action="store_true", help="allow destructive tools without asking")
    add_sandbox_arguments(chat)

    sessions = commands.add_parser(
        "sessions", help="list, show, watch, export, fork, remove, share, copy or recover stored sessions"
    )
    actions = sessions.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="sessions, newest first")
    listing.add_argument("--json", action="store_true")
    for name, text in (
        ("show", "one session's turns, thinking marked"),
        ("export", "one session as JSON, every stored field"),
        ("fork", "copy a session's history into a new session"),
        ("rm", "remove a session"),
        ("watch", "one session's turns, then each new turn as it lands (Ctrl-C ends)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("id", metavar="ID")
        action.add_argument("--json", action="store_true")
    share = actions.add_parser("share", help="let another database role read and fork a session (PostgreSQL)")
    share.add_argument("id", metavar="ID")
    share.add_argument("role", metavar="ROLE")
    share.add_argument("--json", action="store_true")
    copy = actions.add_parser("copy", help="copy a session to or from another store, byte for byte")
    copy.add_argument("id", metavar="ID")
    where = copy.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="STORE", help="a postgresql:// URL or an SQLite file")
    where.add_argument("--from", dest="from_", metavar="STORE", help="a postgresql:// URL or an SQLite file")
    copy.add_argument("--json", action="store_true")
    recover = actions.add_parser(
        "recover",
        help="salvage a damaged database into a new one (the damaged file is kept); "
        "stop other m2bridge processes first",
    )
    recover.add_argument("--json", action="store_true")

    commands.add_parser("doctor", help="check key, region, host, protocol, store and tools")

    commands.add_parser("mcp", help="the MCP server (stdio by default); `m2bridge mcp --help` for options")
    commands.add_parser("lsp", help="the language server, on stdio")
    commands.add_parser("acp", help="the Agent Client Protocol agent (Zed, JetBrains...), on stdio")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    harden_process()  # before any tool runs: commands cannot read our environ (the API key) or memory
    try:
        try:
            return _dispatch(given)
        finally:
            # Inside the try: a reader that left shows up here, not as a traceback at interpreter exit.
            flush_stdout()
    except BrokenPipeError:
        return output_closed()


def _dispatch(given: list[str]) -> int:
    # A surface parses its own options (argparse's REMAINDER would refuse them after the command name).
    if given[:1] == ["mcp"]:
        return _run_mcp(given[1:])
    if given[:1] == ["lsp"]:
        return _run_lsp(given[1:])
    if given[:1] == ["acp"]:
        return _run_acp(given[1:])
    parser = build_parser()
    args = parser.parse_args(given)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "chat" and args.json and not args.prompt:
        parser.error("--json needs -p PROMPT")
    try:
        if args.command == "chat":
            from m2bridge.cli.chat import run_chat

            return run_chat(args)
        if args.command == "sessions":
            from m2bridge.cli.sessions import run_sessions

            return run_sessions(args)
        if args.command == "doctor":
            from m2bridge.cli.doctor import run_doctor

            return run_doctor()
    except BrokenPipeError:
        raise  # the reader left: `main` ends quietly
    except M2BridgeError as err:
        print(f"m2bridge: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        # A file or folder we cannot use (M2BRIDGE_HOME is a file, a folder is read-only...): one line.
        print(f"m2bridge: {describe_os_error(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


# The surfaces are imported inside these functions: a command loads only its own (the MCP SDK alone costs
# a second of start-up). Plain imports, so the import checker sees that the dispatcher starts them.


def _run_mcp(argv: list[str]) -> int:
    try:
        from mcp_tools.server.cli import main as mcp_main
    except ModuleNotFoundError as exc:
        return _unavailable("mcp", exc)
    return mcp_main(argv)


def _run_lsp(argv: list[str]) -> int:
    try:
        from lsp.cli import main as lsp_main
    except ModuleNotFoundError as exc:
        return _unavailable("lsp", exc)
    return lsp_main(argv)


def _run_acp(argv: list[str]) -> int:
    try:
        from acp_agent.cli import main as acp_main
    except ModuleNotFoundError as exc:
        return _unavailable("acp", exc)
    return acp_main(argv)


def _unavailable(name: str, exc: ModuleNotFoundError) -> int:
    print(f"m2bridge: the {name} surface is not available in this install ({exc}).", file=sys.stderr)
    return 1
