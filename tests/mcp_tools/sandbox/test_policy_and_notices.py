"""The policy API: which mode commands run under, what is said at start-up, and the probe on this machine."""

from __future__ import annotations

import shutil
import sys

import pytest

from mcp_tools.sandbox import (
    SandboxMode,
    SandboxPolicy,
    SandboxSupport,
    effective_mode,
    sandbox_support,
    startup_notice,
)

MISSING = SandboxSupport(
    False, None, "bwrap (bubblewrap) is not installed", "sudo apt-get install bubblewrap"
)
PRESENT = SandboxSupport(True, "bubblewrap", None, None)


@pytest.mark.parametrize(
    ("policy", "support", "mode"),
    [
        (SandboxPolicy(), PRESENT, SandboxMode.WORKSPACE_WRITE),
        (SandboxPolicy(SandboxMode.READ_ONLY), PRESENT, SandboxMode.READ_ONLY),
        (SandboxPolicy(SandboxMode.OFF), PRESENT, SandboxMode.OFF),
        (SandboxPolicy(SandboxMode.OFF), MISSING, SandboxMode.OFF),
        (SandboxPolicy(), MISSING, None),
        (SandboxPolicy(allow_unsandboxed=True), MISSING, SandboxMode.OFF),
    ],
)
def test_the_effective_mode_follows_the_policy_and_the_machine(policy, support, mode):
    assert effective_mode(policy, support) is mode


def test_nothing_is_said_at_start_up_when_the_sandbox_works():
    assert startup_notice(SandboxPolicy(), PRESENT) is None


def test_start_up_says_when_the_sandbox_is_off_by_choice():
    notice = startup_notice(SandboxPolicy(SandboxMode.OFF), PRESENT)
    assert notice is not None and "--sandbox off" in notice and "\n" not in notice


def test_start_up_says_a_missing_sandbox_turns_the_process_tools_off_and_how_to_fix_it():
    notice = startup_notice(SandboxPolicy(), MISSING)
    assert notice is not None and "\n" not in notice
    assert "bubblewrap) is not installed" in notice and "process tools are off" in notice
    assert "sudo apt-get install bubblewrap" in notice and 'sandbox_fallback = "off"' in notice


def test_start_up_says_an_allowed_fallback_runs_commands_unsandboxed():
    notice = startup_notice(SandboxPolicy(allow_unsandboxed=True), MISSING)
    assert notice is not None and "run unsandboxed" in notice


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("bwrap"), reason="bubblewrap")
def test_the_probe_finds_bubblewrap_working_here_once():
    assert sandbox_support() == PRESENT
    assert sandbox_support() is sandbox_support()
