"""`m2bridge mcp config --client ...`: ready-to-paste configs for the common MCP clients.

Stdio configs start `m2bridge mcp` by its absolute path (GUI clients do not see the shell's PATH). HTTP
configs carry the bearer token, since a config is where such a client keeps it.

The MiniMax key (which only m2_task and the media tools need) never appears in a config as a literal:
a placeholder pasted unedited would become the key. Each client gets its own documented way instead:
- VS Code: an `inputs` entry of type promptString with `password: true`, referenced as
  `${input:minimax-api-key}`; VS Code asks once and keeps the answer in its secret storage
  (https://code.visualstudio.com/docs/copilot/reference/mcp-configuration).
- Cursor: `${env:MINIMAX_API_KEY}`, resolved from Cursor's environment in the `env` field
  (https://cursor.com/docs/context/mcp, "Config interpolation").
- Claude Desktop has no substitution in claude_desktop_config.json: the key is left out and stderr says
  how to add it. Claude Code starts servers with its own environment, so nothing needs adding.
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

__all__ = ["KEY_INPUT_ID", "client_config", "key_hint", "print_config"]

KEY_VAR = "MINIMAX_API_KEY"
KEY_INPUT_ID = "minimax-api-key"
_KEY_USE = "only m2_task and the media tools need it"


def _command() -> str:
    found = shutil.which("m2bridge")
    if found:
        return found
    beside = Path(sys.executable).parent / "m2bridge"
    return str(beside) if beside.exists() else "m2bridge"


def _vscode_key_input() -> dict[str, Any]:
    return {
        "type": "promptString",
        "id": KEY_INPUT_ID,
        "description": f"MiniMax API key ({_KEY_USE}; leave empty to skip)",
        "password": True,
    }


def client_config(client: str, transport: str, roots: list[str], port: int, token: str | None) -> str:
    args = ["mcp", *[item for root in roots for item in ("--root", root)]]
    url = f"http://127.0.0.1:{port}/mcp"
    headers = {"Authorization": f"Bearer {token}"}
    if client == "claude-code":
        if transport == "http":
            header = shlex.quote(f"Authorization: Bearer {token}")
            return f"claude mcp add --transport http m2bridge {url} --header {header}"
        return "claude mcp add m2bridge -- " + shlex.join([_command(), *args])
    stdio: dict[str, Any] = {"command": _command(), "args": args}
    if client == "vscode":
        if transport == "http":
            return json.dumps(
                {"servers": {"m2bridge": {"type": "http", "url": url, "headers": headers}}}, indent=2
            )
        entry = {"type": "stdio", **stdio, "env": {KEY_VAR: f"${{input:{KEY_INPUT_ID}}}"}}
        return json.dumps({"inputs": [_vscode_key_input()], "servers": {"m2bridge": entry}}, indent=2)
    if client == "cursor":
        if transport == "http":
            return json.dumps({"mcpServers": {"m2bridge": {"url": url, "headers": headers}}}, indent=2)
        entry = {**stdio, "env": {KEY_VAR: f"${{env:{KEY_VAR}}}"}}
        return json.dumps({"mcpServers": {"m2bridge": entry}}, indent=2)
    # Claude Desktop starts local servers over stdio only, and substitutes nothing: no key in the file.
    return json.dumps({"mcpServers": {"m2bridge": stdio}}, indent=2)


def key_hint(client: str, transport: str) -> str:
    """One stderr line saying where the key comes from, or how to add it where the config leaves it out."""
    if transport == "http":
        return f"# the HTTP server reads {KEY_VAR} from the shell you start it in ({_KEY_USE})"
    if client == "vscode":
        return f"# VS Code asks for the MiniMax key the first time it starts the server ({_KEY_USE})"
    if client == "cursor":
        return f"# Cursor fills {KEY_VAR} from its own environment: start Cursor where {KEY_VAR} is exported"
    if client == "claude-code":
        return f"# Claude Code passes its environment on: export {KEY_VAR} before starting `claude`"
    return (
        f"# the MiniMax key is left out ({_KEY_USE}): Claude Desktop substitutes no variables, so add "
        f'"env": {{"{KEY_VAR}": "..."}} with your key to the m2bridge entry yourself'
    )


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
        from mcp_tools.server.token import load_or_create_token

        token, path = load_or_create_token(load_settings().home)
        print(
            f"# the token comes from {path}; start the server with `m2bridge mcp --transport http`",
            file=sys.stderr,
        )
    print(_WHERE[args.client], file=sys.stderr)
    print(client_config(args.client, transport, roots, args.port, token), flush=True)
    # After the config, where a terminal shows it next to what it talks about.
    print(key_hint(args.client, transport), file=sys.stderr)
    return 0
