"""A real editor against `m2bridge lsp`: headless Neovim 0.7 (Debian's), with the strict fake M2.

Neovim starts the server with `vim.lsp.start_client`, opens a file, and sends `m2/chat`; M2's edit
arrives as `workspace/applyEdit`, which Neovim's own handler applies; the server then asks Neovim to
save the buffer (`m2/saveDocuments`), and the test reads the file on disk. The Lua side is in
tests/e2e/neovim/chat_edit.lua.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.support.env import m2_env, make_project
from tests.support.sent import tool_results_sent

NVIM = shutil.which("nvim")
SCRIPT = Path(__file__).resolve().parent / "neovim" / "chat_edit.lua"
BEFORE = "def answer():\n    return 1\n"
AFTER = "def answer():\n    return 2\n"
EDIT = {"path": "app.py", "old_string": "return 1", "new_string": "return 2"}

pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not on PATH (CI installs Debian's neovim)")


def nvim_env(tmp_path: Path, fake: Any, repo: Path, report: Path) -> dict[str, str]:
    """m2bridge's environment (pointed at the fake), Neovim's own dirs under tmp_path, and the script's
    configuration."""
    xdg = tmp_path / "xdg"
    return m2_env(
        tmp_path,
        fake,
        XDG_CONFIG_HOME=str(xdg / "config"),
        XDG_DATA_HOME=str(xdg / "data"),
        XDG_STATE_HOME=str(xdg / "state"),
        XDG_CACHE_HOME=str(xdg / "cache"),
        M2_NVIM_CMD=json.dumps([sys.executable, "-m", "m2bridge", "lsp"]),
        M2_NVIM_ROOT=str(repo),
        M2_NVIM_FILE=str(repo / "app.py"),
        M2_NVIM_PROMPT="make answer return 2",
        M2_NVIM_REPORT=str(report),
        M2_NVIM_TIMEOUT_MS="60000",
    )


def run_neovim(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert NVIM is not None
    return subprocess.run(
        [NVIM, "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {SCRIPT}"],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def lsp_log(tmp_path: Path) -> str:
    """Neovim's LSP log (it holds the server's stderr), for failure messages."""
    log = tmp_path / "xdg" / "cache" / "nvim" / "lsp.log"
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no lsp.log)"


def test_neovim_applies_m2s_edit_and_writes_the_file_to_disk(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path, BEFORE)
    report_path = tmp_path / "report.json"
    fake_minimax.script(
        CallTools([("read_file", {"path": "app.py"})], thinking="Look at the file first."),
        CallTools([("edit_file", EDIT)], thinking="Change it."),
        Reply("Changed it to 2.", thinking="Done."),
    )

    proc = run_neovim(nvim_env(tmp_path, fake_minimax, repo, report_path), repo)

    details = (
        f"exit={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}\nlsp.log:\n{lsp_log(tmp_path)}"
    )
    assert report_path.exists(), details
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert report["error"] is None, f"{report}\n{details}"
    assert proc.returncode == 0, details

    answer = report["response"]
    assert answer["stopReason"] == "end_turn", answer
    assert answer["text"] == "Changed it to 2."
    # Neovim 0.7 decodes the server's JSON with nulls in objects dropped, so "error": null is absent.
    assert answer.get("error") is None
    assert answer["toolCalls"] == [{"name": "read_file", "ok": True}, {"name": "edit_file", "ok": True}]

    # edit_file is destructive: the server asked first, offering the three choices.
    assert report["approval_asked"] is True
    assert report["approval_messages"][0]["actions"] == ["Allow", "Allow for this session", "Deny"]
    assert "edit_file" in report["approval_messages"][0]["message"]

    # The edit came as workspace/applyEdit, the buffer holds it, and Neovim saved it when asked.
    assert report["apply_edits"] == 1
    assert report["lines"] == AFTER.splitlines()
    assert report["modified"] is False
    assert report["save_requests"] == [(repo / "app.py").as_uri()]
    assert (repo / "app.py").read_text() == AFTER
    # ...and the server knew it was saved, so M2 was told its edit is on disk, not that the copy is stale.
    assert any("Applied in the editor and saved" in r for r in tool_results_sent(fake_minimax))
