"""A new user's first runs of `m2bridge chat -p`: failed starts leave nothing behind, stdin prompts, whole
lines through pipes, and sessions from another project, as real processes against the strict fake."""

import json
import subprocess
import sys

import pytest

from tests.fakes.minimax import Fault, Reply
from tests.support.code_server import free_port
from tests.support.env import m2_env, run_cli, run_json

LONG_LINE = "A" + "bc" * 150  # 301 characters with no place a terminal would break them


def listed(env, cwd):
    proc = run_cli(["sessions", "list", "--json"], env, cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def no_retries(tmp_path):
    (tmp_path / "config.toml").write_text("max_retries = 0\n")


def pipe_cli(args, env, cwd, stdin):
    return subprocess.run(
        [sys.executable, "-m", "m2bridge", *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )


def closed_port_env(tmp_path, fake_minimax):
    return m2_env(tmp_path, fake_minimax, MINIMAX_API_HOST=f"http://127.0.0.1:{free_port()}")


FAILED_STARTS = {
    "connection refused": (closed_port_env, None, "connection"),
    "HTTP 500": (m2_env, Fault.server_error(), "server"),
    "HTTP 401": (lambda tmp_path, fake: m2_env(tmp_path, fake, MINIMAX_API_KEY="wrong-key"), None, "auth"),
}


@pytest.mark.parametrize(("make_env", "fault", "code"), list(FAILED_STARTS.values()), ids=list(FAILED_STARTS))
def test_a_failed_first_turn_leaves_no_session_behind(tmp_path, fake_minimax, make_env, fault, code):
    no_retries(tmp_path)
    env = make_env(tmp_path, fake_minimax)
    if fault is not None:
        fake_minimax.script(fault, fault)
    status, out = run_json(["chat", "-p", "hello", "--json"], env, tmp_path)
    assert status == 1 and out["error"]["code"] == code and out["session_id"] is None
    proc = run_cli(["chat", "-p", "hello"], env, tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert listed(env, tmp_path) == []


def test_a_failed_turn_on_an_existing_session_keeps_the_session_and_the_prompt(tmp_path, fake_minimax):
    no_retries(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("first"), Fault.server_error())
    _, first = run_json(["chat", "-p", "one", "--json"], env, tmp_path)
    status, out = run_json(["chat", "-p", "two", "--session", first["session_id"], "--json"], env, tmp_path)
    assert status == 1 and out["session_id"] == first["session_id"]
    assert [s["turns"] for s in listed(env, tmp_path)] == [3]


def test_an_answer_cut_off_in_the_first_turn_is_kept(tmp_path, fake_minimax):
    no_retries(tmp_path)
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Fault.cut_stream(14, Reply("partial answer " * 20)))
    status, out = run_json(["chat", "-p", "q", "--json"], env, tmp_path)
    assert status == 1 and out["incomplete"] is True and out["session_id"]
    assert [s["id"] for s in listed(env, tmp_path)] == [out["session_id"]]


def test_dash_p_dash_reads_the_whole_prompt_from_stdin(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("read it"))
    prompt = "line one\n  line two: café\n"
    proc = pipe_cli(["chat", "-p", "-", "--json"], env, tmp_path, prompt.encode())
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["text"] == "read it"
    sent = json.dumps(fake_minimax.requests[0].body["messages"][-1], ensure_ascii=False)
    assert "line one\\n  line two: café" in sent
    assert listed(env, tmp_path)[0]["title"] == "line one line two: café"


def test_an_empty_stdin_prompt_is_refused_before_anything_is_sent_or_stored(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    proc = pipe_cli(["chat", "-p", "-"], env, tmp_path, b"  \n")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1 and "stdin is empty" in stderr and "Traceback" not in stderr
    assert not fake_minimax.requests and listed(env, tmp_path) == []


def test_a_long_answer_and_a_long_notice_pass_through_pipes_unwrapped(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.chunk_size = 1000  # the whole answer in one delta, as a fast server may send it
    fake_minimax.accept_converted = True
    fake_minimax.script(Reply("first"), Reply(LONG_LINE))
    _, first = run_json(["chat", "-p", "a", "--json"], env, tmp_path)
    env["M2BRIDGE_API"] = "openai"  # continuing on the other protocol prints a long notice on stderr
    proc = run_cli(["chat", "-p", "b", "--session", first["session_id"]], env, tmp_path)
    assert proc.returncode == 0 and proc.stdout.splitlines() == [LONG_LINE]
    notice = next(line for line in proc.stderr.splitlines() if "converted best-effort" in line)
    assert notice.startswith("[m2bridge] This session started") and notice.endswith("may be lost).")


def test_sessions_show_through_a_pipe_keeps_long_lines_whole(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply(LONG_LINE, thinking=LONG_LINE))
    _, first = run_json(["chat", "-p", "a", "--json"], env, tmp_path)
    proc = run_cli(["sessions", "show", first["session_id"]], env, tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert any(line.endswith(LONG_LINE) and "thinking" in line for line in lines), proc.stdout
    assert LONG_LINE in lines or any(line.endswith(" " + LONG_LINE) for line in lines), proc.stdout


def test_the_interactive_chat_through_pipes_keeps_long_lines_whole(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.chunk_size = 1000
    fake_minimax.script(Reply(LONG_LINE))
    proc = pipe_cli(["chat"], env, tmp_path, b"hello\n")
    assert proc.returncode == 0
    assert LONG_LINE in proc.stdout.decode().splitlines()


def test_a_retry_says_what_it_is_waiting_for(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Fault.rate_limited(retry_after=0.1), Reply("after the wait"))
    proc = run_cli(["chat", "-p", "q"], env, tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "after the wait"
    assert "429, retrying in 0.1 s (retry 1 of 4)" in proc.stderr


def test_a_session_from_another_project_says_where_it_belongs_and_continues_here(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    one, other = tmp_path / "one", tmp_path / "other"
    for repo in (one, other):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_minimax.script(Reply("in one"), Reply("in other"))
    _, first = run_json(["chat", "-p", "a", "--json"], env, one)
    proc = run_cli(["chat", "-p", "b", "--session", first["session_id"]], env, other)
    assert proc.returncode == 0 and proc.stdout.strip() == "in other"
    assert f"session {first['session_id']} belongs to {one}; continuing it here" in proc.stderr
    assert str(other) in proc.stderr
    assert [s["turns"] for s in listed(env, one)] == [4]
