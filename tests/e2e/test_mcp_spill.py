"""Spill per server and per roots, through two real `m2bridge mcp` processes and the SDK client: the
attack of issue 11, finding 5, as it was found (a `--read-only` server rooted at A listing and reading
what a server rooted at B spilled from `cat .env`)."""

from __future__ import annotations

import re
from pathlib import Path

import anyio

from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of

SECRET = "API_TOKEN=SECRET-OF-PROJECT-B"


async def test_a_read_only_server_at_a_cannot_list_search_or_read_what_a_server_at_b_spilled(
    tmp_path: Path,
) -> None:
    base = tmp_path.resolve()
    a, b, home = base / "a", base / "b", base / "home"
    for folder in (a, b):
        folder.mkdir()
    (a / "readme.md").write_text("project a\n")
    (b / ".env").write_text(SECRET + "\n" + "PAD=1\n" * 20_000)
    env = server_env(home)
    with anyio.fail_after(60):
        async with (
            stdio_client(stdio_params([b], env), "legacy") as server_b,
            stdio_client(stdio_params([a], env, "--read-only"), "legacy") as server_a,
        ):
            ran = text_of(await server_b.call_tool("run_command", {"command": "cat .env"}))
            spilled = Path(re.search(r"whole output in (\S+\.txt)", ran).group(1))
            own = text_of(await server_b.call_tool("read_file", {"path": str(spilled), "limit": 1}))
            assert SECRET in own

            attempts = [
                ("read_file", {"path": str(spilled)}),
                ("list_dir", {"path": str(spilled.parent)}),
                ("list_dir", {"path": str(home / "spill")}),
                ("list_dir", {"path": str(home)}),
                ("search", {"pattern": "SECRET", "path": str(home / "spill")}),
                ("find_files", {"pattern": "**/*.txt", "path": str(home)}),
            ]
            for name, arguments in attempts:
                result = await server_a.call_tool(name, arguments)
                assert result.is_error, (name, text_of(result))
                assert "outside the allowed roots" in text_of(result)
                assert "SECRET-OF-PROJECT-B" not in text_of(result)
