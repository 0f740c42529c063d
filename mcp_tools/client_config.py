"""`m2bridge mcp config --client ...`: ready-to-paste configs for the common MCP clients.

Stdio configs start `m2bridge mcp` by its absolute path (GUI clients do not see the shell's PATH). HTTP
configs carry the bearer token, since a config is where such a client keeps it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from m2bridge.config import load_settings

__all__ = ["client_config", "print_config"]

_KEY_NOTE = "<your MiniMax key: only m2_task and the media tools need it>"


def _command() -> str:
    found = shutil.which("m2bridge")
    if found:
        return found
    beside = Path(sys.executable).parent / "m2bridge"
    return str(beside) if beside.exists() else "m2bridge"


def client_config(client: str, transport: str, roots: list[str], port: int, token: str | None) -> str:
    args = ["mcp", *[item for root in roots for item in ("--root", root)]]
    url = f"http://127.0.0.1:{port}/mcp"
    headers = {"Authorization": f"Bearer {token}"}
    if client == "claude-code":
        if transport == "http":
            header = shlex.quote(f"Authorization: Bearer {token}")
            return f"claude mcp add --transport http m2bridge {url} --header {header}"
        return "claude mcp add m2bridge -- " + shlex.join([_command(), *args])
    stdio: dict[str, Any] = {"command": _command(), "args": args, "env": {"MINIMAX_API_KEY": _KEY_NOTE}}
    if client == "vscode":
        entry = (
            {"type": "http", "url": url, "headers": headers}
            if transport == "http"
            else {"type": "stdio", **stdio}
        )
        return json.dumps({"servers": {"m2bridge": entry}}, indent=2)
    if client == "cursor":
        entry = {"url": url, "headers": headers} if transport == "http" else stdio
        return json.dumps({"mcpServers": {"m2bridge": entry}}, indent=2)
    # Claude Desktop starts local servers over stdio only.
    return json.dumps({"mcpServers": {"m2bridge": stdio}}, indent=2)


_WHERE = {
    "claude-desktop": "Paste into claude_desktop_config.json (Settings > Developer > Edit Config):",
    "claude-code": "Run in your project:",
    "vscode": "Paste into .vscode/mcp.json:",
    "cursor": "Paste into ~/.cursor/mcp.json (or .cursor/mcp.json in the project):",
}


def print_config(args: argparse.Namespace) -> int:
    roots = [str(Path(r).resolve()) for r in args.root] or [str(Path.cwd().resolve())]
    token = None
    transport = args.transport
    if args.client == "claude-desktop" and transport == "http":
        print(
            "m2bridge: Claude Desktop starts local servers over stdio; printing the stdio config",
            file=sys.stderr,
        )
        transport = "stdio"
    if transport == "http":
        from mcp_tools.token import load_or_create_token

        token, path = load_or_create_token(load_settings().home)
        print(
            f"# the token comes from {path}; start the server with `m2bridge mcp --transport http`",
            file=sys.stderr,
        )
    print(_WHERE[args.client], file=sys.stderr)
    print(client_config(args.client, transport, roots, args.port, token))
    return 0
