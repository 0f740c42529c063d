"""What M2 is told when the process tools are absent for want of a sandbox (mcp_tools/toolkit.py), and how
the settings become the policy the tools run under. The tool lists themselves are proved on a machine
without bubblewrap by tests/e2e/test_mcp_sandbox.py and test_chat_and_doctor_sandbox.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from m2bridge.config import load_settings
from mcp_tools.sandbox import SandboxMode, SandboxPolicy, SandboxSupport
from mcp_tools.toolkit import PROCESS_TOOLS, sandbox_note, sandbox_policy

MISSING = SandboxSupport(
    available=False, mechanism=None, problem="bwrap is not installed", fix="sudo apt-get install bubblewrap"
)
PRESENT = SandboxSupport(available=True, mechanism="bubblewrap", problem=None, fix=None)


def test_m2_is_told_which_tools_are_absent_why_and_what_fixes_it() -> None:
    note = sandbox_note(SandboxPolicy(), MISSING)
    assert all(name in note for name in PROCESS_TOOLS)
    assert "bwrap is not installed" in note and "`sudo apt-get install bubblewrap`" in note


def test_nothing_is_said_when_the_process_tools_are_there() -> None:
    assert sandbox_note(SandboxPolicy(), PRESENT) == ""
    assert sandbox_note(SandboxPolicy(allow_unsandboxed=True), MISSING) == ""
    assert sandbox_note(SandboxPolicy(mode=SandboxMode.OFF), MISSING) == ""


def test_the_settings_become_the_policy(tmp_path: Path) -> None:
    settings = load_settings({"M2BRIDGE_CONFIG": str(tmp_path / "config.toml")})
    assert sandbox_policy(settings) == SandboxPolicy()
    chosen = replace(settings, sandbox="read-only", allow_network=True, allow_unsandboxed=True)
    assert sandbox_policy(chosen) == SandboxPolicy(
        SandboxMode.READ_ONLY, allow_network=True, allow_unsandboxed=True
    )
