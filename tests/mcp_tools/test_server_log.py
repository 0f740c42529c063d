"""The MCP server's log: a peer's mistakes the SDK logs at warning are demoted to debug; a real fault of
the server keeps its level and its traceback."""

from __future__ import annotations

import logging

import pytest

from mcp_tools.server.server_log import demote_peer_mistakes


def test_a_notification_with_malformed_params_is_logged_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    demote_peer_mistakes()
    runner = logging.getLogger("mcp.server.runner")
    with caplog.at_level(logging.WARNING):
        runner.warning("dropped %r: malformed params", "notifications/progress")
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="mcp.server.runner"):
        runner.warning("dropped %r: malformed params", "notifications/progress")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("DEBUG", "dropped 'notifications/progress': malformed params")
    ]


def test_a_server_fault_keeps_its_level_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    demote_peer_mistakes()
    dispatcher = logging.getLogger("mcp.shared.jsonrpc_dispatcher")
    runner = logging.getLogger("mcp.server.runner")
    with caplog.at_level(logging.WARNING):
        try:
            raise RuntimeError("a bug of ours")
        except RuntimeError:
            dispatcher.exception("handler for %r raised", "tools/list")
        runner.exception("notification handler for %r raised", "notifications/initialized")
    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
    assert "RuntimeError: a bug of ours" in caplog.text


def test_installing_twice_adds_one_filter() -> None:
    demote_peer_mistakes()
    demote_peer_mistakes()
    assert len(logging.getLogger("mcp.server.runner").filters) == 1
