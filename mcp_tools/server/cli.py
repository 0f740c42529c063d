"""`m2bridge mcp`: the MCP server on stdio (default) or Streamable HTTP, and `mcp config` for clients."""

from __future__ import annotations

import argparse
import errno
import gc
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from socket import socket
from typing import TYPE_CHECKING, Protocol, cast

import anyio

from m2bridge.config import load_settings
from m2bridge.errors import M2BridgeError
from m2bridge.exits import flush_stdout, output_closed, sole_error
from m2bridge.process_guard import harden_process
from m2bridge.sandbox_choice import add_sandbox_arguments, choose_sandbox, flag_choice
from m2bridge.tools import Tool
from mcp_tools.failure import ToolFailure

if TYPE_CHECKING:
    from mcp_tools.sandbox import SandboxPolicy

__all__ = ["build_parser", "main"]

DEFAULT_PORT = 8765


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2bridge mcp",
        description="The m2bridge MCP server, on stdio (default) or Streamable HTTP.",
        epilog="connecting a client:\n"
        "  m2bridge mcp config --client claude-desktop|claude-code|vscode|cursor [--transport http]\n"
        "  prints a ready-to-paste client config (see `m2bridge mcp config --help`)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT}; 0 picks one)"
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be an address other machines can reach (the token is then all that guards it)",
    )
    parser.add_argument(
        "--allow-origin", action="append", default=[], metavar="ORIGIN", help="extra browser Origin"
    )
    parser.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="folder the tools may use (repeatable; default .)",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="only reading tools: no write, edit, run, m2_task"
    )
    parser.add_argument("--no-terminal", action="store_true", help="no run_command or process tools")
    add_sandbox_arguments(parser)
    parser.add_argument(
        "--max-tasks", type=int, default=None, metavar="N", help="m2_task runs at once (default 16)"
    )
    return parser


def build_config_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2bridge mcp config", description="Print a ready-to-paste client config."
    )
    parser.add_argument(
        "--client", required=True, choices=("claude-desktop", "claude-code", "vscode", "cursor")
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--root", action="append", default=[], metavar="DIR")
    return parser


def _port_problem(port: int) -> str | None:
    if 0 <= port <= 65535:
        return None
    return f"--port must be between 0 and 65535 (0 picks a free one), got {port}"


def main(argv: Sequence[str]) -> int:
    harden_process()  # commands the tools run cannot read our environ (the API key) or memory
    try:
        try:
            return _main(argv)
        finally:
            flush_stdout()  # a reader that left shows up here, not at interpreter exit
    except BrokenPipeError:
        return output_closed()  # the client (or `| head`) closed our output: nothing left to say


def _main(argv: Sequence[str]) -> int:
    args_list = list(argv)
    if sys.platform == "win32":
        # Pseudo-terminals and process groups are POSIX; the terminal tools have no Windows equivalent yet.
        print("m2bridge mcp: Windows is not supported yet (Linux and macOS are)", file=sys.stderr)
        return 1
    if args_list[:1] == ["config"]:
        from mcp_tools.server.client_config import print_config

        config_args = build_config_parser().parse_args(args_list[1:])
        problem = _port_problem(config_args.port)
        if problem is not None:
            print(f"m2bridge mcp config: {problem}", file=sys.stderr)
            return 2
        try:
            return print_config(config_args)
        except BrokenPipeError:
            raise
        except (M2BridgeError, OSError) as err:
            print(f"m2bridge mcp config: {err}", file=sys.stderr)
            return 1
    args = build_parser().parse_args(args_list)
    if args.transport == "http" and not args.allow_non_loopback:
        from mcp_tools.loopback import is_loopback

        if not is_loopback(args.host):
            print(
                f"m2bridge mcp: {args.host} is reachable from other machines; pass --allow-non-loopback "
                "if that is what you want",
                file=sys.stderr,
            )
            return 2
    if args.max_tasks is not None and args.max_tasks < 1:
        print("m2bridge mcp: --max-tasks must be at least 1", file=sys.stderr)
        return 2
    problem = _port_problem(args.port) or _origin_problem(args.allow_origin)
    if problem is not None:
        print(f"m2bridge mcp: {problem}", file=sys.stderr)
        return 2
    # Start-up (the MCP SDK's import above all) builds some 550 pydantic model classes and frees almost
    # nothing: the cyclic collector, run again and again over the young objects, was a tenth of it.
    # _serve freezes what start-up made and turns the collector back on before serving.
    gc.disable()
    try:
        _run(args)
    except BrokenPipeError:
        raise
    except (M2BridgeError, ToolFailure, OSError) as err:
        print(f"m2bridge mcp: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        gc.enable()
    return 0


def _origin_problem(origins: list[str]) -> str | None:
    if not origins:
        return None
    from mcp_tools.server.cors import normalize_origin

    try:
        for origin in origins:
            normalize_origin(origin)
    except M2BridgeError as err:
        return str(err)
    return None


def _run(args: argparse.Namespace) -> None:
    """Serve; an error that ends the server comes out of anyio's task-group wrappers, so `main` can say it
    in one line (a group of several errors, or one we do not know, keeps its traceback)."""
    try:
        anyio.run(_serve, args)
    except BaseExceptionGroup as group:
        error = sole_error(group)
        if error is group:
            raise
        raise error from None


def _listen(host: str, port: int) -> socket:
    """The HTTP socket, or an M2BridgeError saying in one line why the address cannot be used."""
    from mcp_tools.server.http import bind_socket

    try:
        return bind_socket(host, port)
    except OSError as err:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if err.errno == errno.EADDRINUSE:
            reason = (
                f"port {port} on {host} is already in use (another m2bridge mcp?); "
                "choose another with --port N, or --port 0 for any free port"
            )
        elif err.errno == errno.EACCES:
            reason = f"not allowed to listen on {where} (ports below 1024 need privileges); choose --port N"
        elif err.errno == errno.EADDRNOTAVAIL:
            reason = f"cannot listen on {host}: no interface of this machine has that address"
        else:
            reason = f"cannot listen on {where}: {err.strerror or err}"
        raise M2BridgeError(reason) from err


async def _serve(args: argparse.Namespace) -> None:
    from mcp_tools.catalog import M2_TASK, LazyTool, tool_class
    from mcp_tools.manifest import spec_of
    from mcp_tools.server.app import build_server
    from mcp_tools.toolkit import ToolOptions, open_toolset, sandbox_policy

    roots = [Path(r) for r in args.root] or [Path.cwd()]
    settings = load_settings(workspace=roots[0].resolve())
    settings = choose_sandbox(settings, flag_choice(args), "the command line")
    for warning in settings.warnings:
        print(f"m2bridge: {warning}", file=sys.stderr)
    policy = sandbox_policy(settings)
    runs_commands = not args.read_only and not args.no_terminal
    note = _sandbox_notice(policy) if runs_commands else ""
    token = path = None
    if args.transport == "http":
        from mcp_tools.server.token import load_or_create_token

        token, path = load_or_create_token(settings.home)
    # Bound before any tool starts: a port in use is said at once, and nothing is left to clean up.
    sock = _listen(args.host, args.port) if args.transport == "http" else None
    secrets = tuple(s for s in (settings.api_key, token) if s)
    options = ToolOptions(
        roots=roots,
        home=settings.home,
        read_only=args.read_only,
        no_terminal=args.no_terminal,
        secrets=secrets,
        sandbox=policy,
    )
    toolset = open_toolset(options)
    tools = list(toolset.tools)
    task: LazyTool | None = None
    if not args.read_only:

        def build_task() -> Tool:
            # Imported on the first m2_task call: the agent, the store and the model client wait till then.
            m2task = tool_class(M2_TASK)
            cap = {} if args.max_tasks is None else {"max_tasks": args.max_tasks}  # else m2task's default
            built: Tool = m2task(settings, toolset.tools, toolset.context, **cap)
            return built

        task = LazyTool(spec_of(M2_TASK), build_task)
        tools.append(task)
    server = build_server(tools, toolset.context, note)
    # Everything loaded so far lives as long as the server: keep the collector from rescanning it per call.
    gc.freeze()
    gc.enable()
    try:
        async with anyio.create_task_group() as group:
            if args.transport == "stdio":
                if sys.stdin.isatty():
                    roots_shown = ", ".join(str(r) for r in toolset.context.base_policy.roots)
                    print(
                        f"m2bridge MCP server on stdio (roots: {roots_shown}). It waits for an MCP client: "
                        "see `m2bridge mcp config --client ...`. Ctrl-D stops it.",
                        file=sys.stderr,
                    )
                group.start_soon(_stop_on_signal, group.cancel_scope.cancel)
                from mcp_tools.server.stdio import run_stdio

                await run_stdio(server)
            else:
                from mcp_tools.server.http import build_http_app, http_server

                assert sock is not None
                port = sock.getsockname()[1]
                app = build_http_app(
                    server, token=token or "", host=args.host, port=port, extra_origins=args.allow_origin
                )
                shown = f"[{args.host}]" if ":" in args.host else args.host
                print(f"m2bridge MCP server on http://{shown}:{port}/mcp", file=sys.stderr)
                print(f"bearer token in {path} (send `Authorization: Bearer <token>`)", file=sys.stderr)
                if not _loopback(args.host):
                    print(
                        "m2bridge: WARNING: listening beyond this machine; "
                        "anyone holding the token can run commands",
                        file=sys.stderr,
                    )
                sys.stderr.flush()
                serving = http_server(app)

                def stop() -> None:
                    serving.should_exit = True

                # uvicorn's own signal handling is bypassed: signals arrive here and end it gracefully.
                group.start_soon(_stop_on_signal, stop)
                await serving.serve(sockets=[sock])
            group.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await toolset.aclose()
            built = None if task is None else task.built
            if built is not None:
                await cast("_Closing", built).aclose()


def _sandbox_notice(policy: SandboxPolicy) -> str:
    """Say once on stderr that commands run unsandboxed, or that no sandbox exists; and return what the
    client's model is told in the server's instructions when the process tools are absent for it.

    The instructions (sent with `initialize`) rather than a stand-in tool: a client shows them to its
    model with the tool list, and an absent tool cannot be called by mistake."""
    from mcp_tools.sandbox import sandbox_support, startup_notice
    from mcp_tools.toolkit import sandbox_note

    support = sandbox_support()
    notice = startup_notice(policy, support)
    if notice is not None:
        print(notice, file=sys.stderr)
    return sandbox_note(policy, support)


class _Closing(Protocol):
    async def aclose(self) -> None: ...


def _loopback(host: str) -> bool:
    from mcp_tools.loopback import is_loopback

    return is_loopback(host)


async def _stop_on_signal(stop: Callable[[], None]) -> None:
    # SIGTERM, SIGHUP (and SIGINT) end the server the way EOF does, so the finally above kills children.
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP, signal.SIGINT) as signals:
        async for _ in signals:
            stop()
            return
