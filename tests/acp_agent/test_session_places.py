"""Where an ACP session's tools work: its `cwd`, the editor's additional directories as more roots, and
the editor's MCP servers as more tools (namespaced, asking before anything not marked read-only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from acp import RequestError, text_block
from acp.schema import AllowedOutcome, McpServerStdio, RequestPermissionResponse

from tests.fakes.minimax import CallTools, Reply
from tests.support.acp_editor import acp_editor
from tests.support.env import ROOT, m2_env, make_project
from tests.support.sent import tool_results

NOTES = McpServerStdio(
    name="notes", command=sys.executable, args=[str(ROOT / "tests/support/notes_mcp_server.py")], env=[]
)


async def test_the_editors_mcp_servers_tools_reach_m2_namespaced_beside_the_media_tools(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(
        CallTools([("notes__lookup", {"word": "bridge"})], thinking="Look it up."),
        CallTools([("notes__remember", {"text": "x"})], thinking="Note it."),
        Reply("Done.", thinking="Both."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        session = await editor.conn.new_session(cwd=str(repo), mcp_servers=[NOTES])
        editor.client.permission = RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id="reject_once")
        )
        await editor.conn.prompt(session_id=session.session_id, prompt=[text_block("define bridge")])
    sent = {t["name"] for t in fake_minimax.requests[0].body["tools"]}
    assert {"notes__lookup", "notes__remember", "read_file", "text_to_image", "text_to_audio"} <= sent
    assert "definition of bridge" in str(tool_results(fake_minimax.requests[1]))
    assert "did not approve notes__remember" in str(tool_results(fake_minimax.requests[2]))
    ((_, asked, _),) = editor.client.permission_requests  # the read-only lookup was not asked about
    assert asked.title.startswith("notes__remember")


async def test_an_additional_directory_is_a_root_the_tools_may_read(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    extra = tmp_path / "library"
    extra.mkdir()
    (extra / "shelf.txt").write_text("a book\n")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("private\n")
    fake_minimax.script(
        CallTools([("read_file", {"path": str(extra / "shelf.txt")})], thinking="Read the shelf."),
        CallTools([("read_file", {"path": str(outside)})], thinking="Read outside."),
        Reply("Read.", thinking="Done."),
    )
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        session = await editor.conn.new_session(
            cwd=str(repo), mcp_servers=[], additional_directories=[str(extra)]
        )
        await editor.conn.prompt(session_id=session.session_id, prompt=[text_block("read the shelf")])
    assert "a book" in str(tool_results(fake_minimax.requests[1]))
    refused = str(tool_results(fake_minimax.requests[2]))
    assert "private" not in refused and "outside" in refused


@pytest.mark.parametrize("folder", ["relative/lib", "/no/such/library"])
async def test_an_additional_directory_that_is_relative_or_missing_is_invalid_params(
    tmp_path: Path, fake_minimax: Any, folder: str
) -> None:
    repo = make_project(tmp_path)
    async with acp_editor(repo, m2_env(tmp_path, fake_minimax)) as editor:
        await editor.initialize()
        with pytest.raises(RequestError) as raised:
            await editor.conn.new_session(cwd=str(repo), mcp_servers=[], additional_directories=[folder])
    assert raised.value.code == -32602
    assert "additionalDirectories" in json.dumps(raised.value.data)
