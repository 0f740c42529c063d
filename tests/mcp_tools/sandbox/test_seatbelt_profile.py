"""The macOS Seatbelt profile's text (no Mac here: sandbox-exec is not run; see seatbelt.py)."""

from __future__ import annotations

from pathlib import Path

from mcp_tools.sandbox import Confinement, SandboxMode
from mcp_tools.sandbox.seatbelt import seatbelt_arguments, seatbelt_profile

ROOTS = (Path("/Users/me/project"), Path('/Users/me/odd "name")'))
HIDDEN = [Path("/Users/me/.ssh")]


def test_writes_are_denied_but_for_the_roots_and_the_private_tmp_in_workspace_write():
    profile = seatbelt_profile(Confinement(SandboxMode.WORKSPACE_WRITE, False, ROOTS), HIDDEN)
    assert "(deny file-write*)" in profile
    assert '(subpath (param "TMP"))' in profile
    assert '(allow file-write* (subpath (param "ROOT0")) (subpath (param "ROOT1")))' in profile


def test_read_only_allows_no_write_to_the_roots():
    profile = seatbelt_profile(Confinement(SandboxMode.READ_ONLY, False, ROOTS), HIDDEN)
    assert "ROOT0" not in profile and "(deny file-write*)" in profile


def test_network_is_denied_unless_allowed():
    assert "(deny network*)" in seatbelt_profile(Confinement(SandboxMode.WORKSPACE_WRITE, False, ROOTS), [])
    assert "network" not in seatbelt_profile(Confinement(SandboxMode.WORKSPACE_WRITE, True, ROOTS), [])


def test_the_secrets_are_unreadable_and_other_processes_out_of_reach():
    profile = seatbelt_profile(Confinement(SandboxMode.WORKSPACE_WRITE, False, ROOTS), HIDDEN)
    assert '(deny file-read* file-write* (subpath (param "HIDDEN0")))' in profile
    assert "(deny signal (target others))" in profile and "(deny process-info* (target others))" in profile


def test_paths_reach_the_profile_as_parameters_never_as_its_text():
    confinement = Confinement(SandboxMode.WORKSPACE_WRITE, False, ROOTS)
    args = seatbelt_arguments(confinement, HIDDEN, Path("/private/tmp/x"))
    assert args[:2] == ["/usr/bin/sandbox-exec", "-p"]
    assert '"name")' not in args[2]
    assert args[3:] == [
        "-D", "TMP=/private/tmp/x", "-D", f"ROOT0={ROOTS[0]}", "-D", f"ROOT1={ROOTS[1]}",
        "-D", "HIDDEN0=/Users/me/.ssh",
    ]  # fmt: skip
