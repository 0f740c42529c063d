"""`doctor`, project instructions, and the key staying out of stored sessions."""

import json

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_cli, run_json


def test_doctor_passes_with_a_working_key(tmp_path, fake_minimax):
    fake_minimax.script(Reply("Hi"))
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert (
        "MINIMAX_API_KEY is set" in proc.stdout
        and "key works" in proc.stdout
        and "integrity ok" in proc.stdout
        and "git, ripgrep and the repo and terminal tools are installed" in proc.stdout
    )


def test_doctor_says_what_to_fix_without_a_key_or_host(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, MINIMAX_API_HOST="http://127.0.0.1:9")
    del env["MINIMAX_API_KEY"]
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    assert "export MINIMAX_API_KEY" in proc.stdout and "unreachable" in proc.stdout


def test_agents_md_joins_the_system_prompt(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    (tmp_path / "AGENTS.md").write_text("Always answer in haiku.\n")
    fake_minimax.script(Reply("ok"))
    run_json(["chat", "-p", "hi", "--json"], env, tmp_path)
    assert "Always answer in haiku." in fake_minimax.requests[0].body["system"]


def test_the_api_key_never_reaches_the_store_or_the_output(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, MINIMAX_API_KEY="sk-very-secret-123")
    fake_minimax.api_key = "sk-very-secret-123"
    fake_minimax.script(Reply("fine"))
    proc = run_cli(["chat", "-p", "hi", "--json"], env, tmp_path)
    assert json.loads(proc.stdout)["error"] is None
    session = json.loads(proc.stdout)["session_id"]
    exported = run_cli(["sessions", "export", session], env, tmp_path).stdout
    stored = b"".join(p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file())
    assert "sk-very-secret-123" not in proc.stdout + proc.stderr + exported
    assert b"sk-very-secret-123" not in stored
    assert fake_minimax.requests[0].headers["x-api-key"] == "sk-very-secret-123"
