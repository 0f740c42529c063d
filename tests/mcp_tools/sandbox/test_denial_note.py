"""The line a failed command gets when the sandbox is why: only on a failure, only with a sign of a wall."""

from __future__ import annotations

from pathlib import Path

from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import Confinement, SandboxMode, denial_note
from mcp_tools.terminal import ProcessRegistry, RunCommand, StartProcess
from mcp_tools.tool_context import ToolContext

WRITE = Confinement(SandboxMode.WORKSPACE_WRITE, network=False, roots=(Path("/repo"),))
READ = Confinement(SandboxMode.READ_ONLY, network=False, roots=(Path("/repo"),))


def test_a_refused_write_names_the_policy_and_what_would_allow_it():
    note = denial_note("touch: cannot touch '/etc/x': Read-only file system\n", 1, WRITE)
    assert note is not None and note.startswith("[sandbox workspace-write: a write was refused")
    assert "inside the workspace roots and /tmp" in note and "--sandbox off" in note


def test_a_refused_write_in_read_only_mode_suggests_workspace_write():
    note = denial_note("Read-only file system", 1, READ)
    assert note is not None and "--sandbox workspace-write" in note


def test_a_network_failure_suggests_network_true_or_allow_network():
    note = denial_note("curl: (6) Could not resolve host: example.com", 6, WRITE)
    assert note is not None and "`network: true`" in note and "--allow-network" in note


def test_a_network_failure_with_the_network_allowed_is_not_the_sandbox():
    allowed = Confinement(SandboxMode.WORKSPACE_WRITE, network=True, roots=())
    assert denial_note("Could not resolve host: example.com", 6, allowed) is None


def test_a_hidden_path_in_an_error_is_named():
    note = denial_note("cat: /home/u/.ssh/id_rsa: No such file", 1, WRITE, [Path("/home/u/.ssh")])
    assert note is not None and "/home/u/.ssh is hidden" in note


def test_no_note_on_success_or_without_a_sign_or_with_the_sandbox_off():
    assert denial_note("Read-only file system", 0, WRITE) is None
    assert denial_note("error: tests failed", 1, WRITE) is None
    off = Confinement(SandboxMode.OFF, network=False, roots=())
    assert denial_note("Read-only file system", 1, off) is None


async def test_run_command_and_start_process_add_the_note_to_a_failure_the_sandbox_caused(tmp_path: Path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "spill").mkdir()
    ctx = ToolContext(
        base_policy=PathPolicy.of([tmp_path / "repo"], read_only_roots=[tmp_path / "spill"]),
        spill=Spill(tmp_path / "spill"),
        workspace=None,  # type: ignore[arg-type]  # the process tools never use it
    )
    ran = await RunCommand(ctx).call({"command": "touch /etc/m2bridge-denied"})
    assert ran.content.splitlines()[-1].startswith("[sandbox workspace-write: a write was refused"), (
        ran.content
    )
    registry = ProcessRegistry(grace=0.5)
    try:
        started = await StartProcess(ctx, registry).call(
            {"command": "touch /etc/m2bridge-denied; sleep 0.2; exit 1", "wait_for": "never", "timeout": 10}
        )
    finally:
        await registry.close()
    assert "[sandbox workspace-write: a write was refused" in started.content, started.content
