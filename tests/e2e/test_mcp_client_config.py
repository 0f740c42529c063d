"""`m2bridge mcp config`: the printed configs work when pasted unedited, and hold no placeholder key.

The stdio configs are started the way each client would start them: its variables resolved (VS Code's
`${input:...}` from the password prompt, Cursor's `${env:...}` from its environment), then the command run
by a real MCP client, and `m2_task` called so the fake MiniMax shows which key arrived.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import StdioServerParameters

from tests.fakes.minimax import FakeMiniMax, Reply
from tests.support.env import run_cli
from tests.support.mcp_clients import server_env, stdio_client, text_of

KEY_IN_SHELL = "sk-key-in-the-shell"
_VARIABLE = re.compile(r"\$\{(input|env):([^}]+)\}")


def printed(client: str, home: Path, root: Path, *flags: str, **env: str) -> tuple[dict[str, Any], str]:
    proc = run_cli(
        ["mcp", "config", "--client", client, "--root", str(root), *flags],
        server_env(home, MINIMAX_API_KEY=KEY_IN_SHELL, **env),
        root,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def entry_of(config: dict[str, Any]) -> dict[str, Any]:
    return (config.get("servers") or config["mcpServers"])["m2bridge"]


def resolve(value: str, inputs: dict[str, str], environ: dict[str, str]) -> str:
    """Substitute variables as the client does; an undeclared input or an unset variable fails the test."""

    def one(match: re.Match[str]) -> str:
        kind, name = match.groups()
        table = inputs if kind == "input" else environ
        assert name in table, f"${{{kind}:{name}}} has nothing to resolve to"
        return table[name]

    return _VARIABLE.sub(one, value)


@pytest.mark.parametrize("client", ["vscode", "cursor", "claude-desktop"])
def test_no_printed_config_carries_a_key_or_a_placeholder_for_one(tmp_path: Path, client: str) -> None:
    config, _ = printed(client, tmp_path / "home", tmp_path)
    text = json.dumps(config)
    assert KEY_IN_SHELL not in text and "<" not in text and "your" not in text.lower()
    key = entry_of(config).get("env", {}).get("MINIMAX_API_KEY")
    assert key is None or _VARIABLE.fullmatch(key), key


def test_vscode_asks_for_the_key_with_a_password_prompt(tmp_path: Path) -> None:
    config, _ = printed("vscode", tmp_path / "home", tmp_path)
    (prompt,) = config["inputs"]
    assert prompt["type"] == "promptString" and prompt["password"] is True and prompt["description"]
    assert entry_of(config)["env"]["MINIMAX_API_KEY"] == f"${{input:{prompt['id']}}}"


def test_cursor_takes_the_key_from_its_environment(tmp_path: Path) -> None:
    config, stderr = printed("cursor", tmp_path / "home", tmp_path)
    assert entry_of(config)["env"] == {"MINIMAX_API_KEY": "${env:MINIMAX_API_KEY}"}
    assert "MINIMAX_API_KEY" in stderr


def test_claude_desktop_leaves_the_key_out_and_says_how_to_add_it(tmp_path: Path) -> None:
    config, stderr = printed("claude-desktop", tmp_path / "home", tmp_path)
    assert "env" not in entry_of(config)
    assert "key is left out" in stderr and '"env": {"MINIMAX_API_KEY"' in stderr
    assert KEY_IN_SHELL not in stderr


def test_http_configs_carry_the_working_token_and_no_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for client in ("vscode", "cursor"):
        config, stderr = printed(client, home, tmp_path, "--transport", "http")
        token = (home / "mcp-http-token").read_text().strip()
        assert entry_of(config)["headers"] == {"Authorization": f"Bearer {token}"}
        assert "MINIMAX_API_KEY" not in json.dumps(config) and "MINIMAX_API_KEY" in stderr


async def _key_that_reaches_m2(entry: dict[str, Any], environ: dict[str, str], fake: FakeMiniMax) -> str:
    inputs = {"minimax-api-key": "sk-typed-into-the-prompt"}
    env = {**environ, **{k: resolve(v, inputs, environ) for k, v in entry.get("env", {}).items()}}
    params = StdioServerParameters(
        command=entry["command"], args=[resolve(a, inputs, environ) for a in entry["args"]], env=env
    )
    fake.script(Reply("done"))
    with anyio.fail_after(60):
        async with stdio_client(params, "legacy") as client:
            result = await client.call_tool("m2_task", {"task": "say done"})
    assert not result.is_error, text_of(result)
    return fake.requests[-1].headers["x-api-key"]


@pytest.mark.parametrize(
    ("client", "expected"), [("vscode", "sk-typed-into-the-prompt"), ("cursor", KEY_IN_SHELL)]
)
async def test_a_pasted_stdio_config_gives_the_server_the_key_the_client_resolves(
    tmp_path: Path, fake_minimax: FakeMiniMax, client: str, expected: str
) -> None:
    home = tmp_path / "home"
    config, _ = printed(client, home, tmp_path)
    fake_minimax.api_key = expected
    # The client's own environment: the shell's key is there, and the config decides what the server gets.
    environ = server_env(home, MINIMAX_API_KEY=KEY_IN_SHELL, MINIMAX_API_HOST=fake_minimax.host)
    assert await _key_that_reaches_m2(entry_of(config), environ, fake_minimax) == expected
