"""`m2bridge chat` and `m2bridge doctor` and the sandbox (issue 16), as real processes: chat says once when
commands run unsandboxed, and on a machine without bubblewrap (a PATH without it) M2 is offered no process
tools and told why in the system prompt; doctor names the policy and its mechanism, or the problem, the
command that fixes it and what happens meanwhile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, make_project, run_cli, run_json
from tests.support.no_bwrap import PROCESS_TOOLS, path_without_bwrap

FIX = "sudo apt-get install bubblewrap"


def offered(request: Any) -> set[str]:
    return {t.get("name") or t.get("function", {}).get("name") for t in request.body.get("tools", [])}


def sandbox_lines(text: str) -> list[str]:
    """chat's notices and doctor's check (the test's own folder name may hold the word too)."""
    return [
        line
        for line in text.splitlines()
        if line.startswith(("✓ sandbox", "✗ sandbox"))
        or (line.startswith("m2bridge: ") and "sandbox" in line)
    ]


def test_chat_with_sandbox_off_says_so_once_and_offers_the_process_tools(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("Hi."))
    proc = run_cli(["chat", "-p", "hi", "--sandbox", "off", "--json"], m2_env(tmp_path, fake_minimax), repo)
    assert proc.returncode == 0, proc.stderr
    [notice] = sandbox_lines(proc.stderr)
    assert "off" in notice
    assert offered(fake_minimax.requests[0]) >= PROCESS_TOOLS


def test_chat_in_the_default_sandbox_says_nothing_about_it(tmp_path: Path, fake_minimax: Any) -> None:
    repo = make_project(tmp_path)
    fake_minimax.script(Reply("Hi."))
    code, out = run_json(["chat", "-p", "hi", "--json"], m2_env(tmp_path, fake_minimax), repo)
    assert code == 0, out
    assert offered(fake_minimax.requests[0]) >= PROCESS_TOOLS
    assert "run_command" not in fake_minimax.requests[0].body["system"]


def test_chat_without_bubblewrap_offers_no_process_tools_and_tells_m2_why(
    tmp_path: Path, fake_minimax: Any
) -> None:
    repo = make_project(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    env["PATH"] = path_without_bwrap(tmp_path / "bin", env["PATH"])
    fake_minimax.script(Reply("I cannot run commands here."))
    proc = run_cli(["chat", "-p", "run the tests", "--yes", "--json"], env, repo)
    assert proc.returncode == 0, proc.stderr
    request = fake_minimax.requests[0]
    names = offered(request)
    assert "read_file" in names and not names & PROCESS_TOOLS, names
    system = request.body["system"]
    assert "run_command" in system and "sandbox" in system and FIX in system
    [notice] = sandbox_lines(proc.stderr)
    assert FIX in notice


def test_chat_refuses_an_unknown_sandbox_naming_the_choices(tmp_path: Path, fake_minimax: Any) -> None:
    proc = run_cli(["chat", "-p", "hi", "--sandbox", "loose"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 2
    assert "invalid choice: 'loose'" in proc.stderr and "read-only" in proc.stderr
    assert fake_minimax.requests == []


def test_doctor_names_the_policy_and_the_bubblewrap_that_enforces_it(
    tmp_path: Path, fake_minimax: Any
) -> None:
    fake_minimax.script(Reply("Hi"))
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 0, proc.stdout
    [line] = sandbox_lines(proc.stdout)
    assert line.startswith("✓ sandbox workspace-write (from the default), no network")
    assert "commands run under bubblewrap 0." in line and "bwrap)" in line


def test_doctor_without_bubblewrap_fails_with_the_fix_and_what_happens_meanwhile(
    tmp_path: Path, fake_minimax: Any
) -> None:
    fake_minimax.script(Reply("Hi"))
    env = m2_env(tmp_path, fake_minimax)
    env["PATH"] = path_without_bwrap(tmp_path / "bin", env["PATH"])
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1, proc.stdout
    [line] = sandbox_lines(proc.stdout)
    assert line.startswith("✗ sandbox workspace-write")
    assert "is not installed" in line and f"fix: {FIX}" in line
    assert "run_command" in line and "absent" in line and 'sandbox_fallback = "off"' in line


def test_doctor_says_plainly_when_the_users_fallback_runs_commands_unsandboxed(
    tmp_path: Path, fake_minimax: Any
) -> None:
    fake_minimax.script(Reply("Hi"))
    (tmp_path / "config.toml").write_text('sandbox = "read-only"\nsandbox_fallback = "off"\n')
    env = m2_env(tmp_path, fake_minimax)
    env["PATH"] = path_without_bwrap(tmp_path / "bin", env["PATH"])
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 0, proc.stdout
    [line] = sandbox_lines(proc.stdout)
    assert line.startswith(f"✓ sandbox read-only (from {tmp_path / 'config.toml'})")
    assert f"fix: {FIX}" in line and "commands run unsandboxed" in line


def test_doctor_reports_a_sandbox_the_user_turned_off(tmp_path: Path, fake_minimax: Any) -> None:
    fake_minimax.script(Reply("Hi"))
    (tmp_path / "config.toml").write_text('sandbox = "off"\n')
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax), tmp_path)
    [line] = sandbox_lines(proc.stdout)
    assert line.startswith(f"✓ sandbox off (from {tmp_path / 'config.toml'})") and "unsandboxed" in line
