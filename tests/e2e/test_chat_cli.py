"""`m2bridge chat` and `sessions` as real processes against the strict fake."""

import json
import subprocess

import pytest

from tests.fakes.minimax import CallTools, Fault, Reply
from tests.support.env import JSON_CONTRACT_FIELDS, m2_env, run_cli, run_json


def thinking_of(message):
    return [b for b in message["content"] if b["type"] == "thinking"]


def test_two_processes_continue_one_session_with_the_first_turns_thinking_unchanged(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("First answer."), Reply("Second answer."))
    code, first = run_json(["chat", "-p", "first question", "--json"], env, tmp_path)
    assert code == 0 and first["text"] == "First answer." and first["error"] is None
    code, second = run_json(
        ["chat", "-p", "second question", "--session", first["session_id"], "--json"], env, tmp_path
    )
    assert code == 0 and second["session_id"] == first["session_id"] and second["text"] == "Second answer."
    emitted = fake_minimax.turns[0].canonical
    echoed = fake_minimax.requests[1].body["messages"][1]
    assert echoed == emitted and thinking_of(echoed)[0]["signature"]


def test_the_json_object_has_every_contract_field(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("hi"))
    _code, out = run_json(["chat", "-p", "hello", "--json"], env, tmp_path)
    assert set(out) == JSON_CONTRACT_FIELDS
    assert set(out["usage"]) == {"input_tokens", "output_tokens"} and out["usage"]["output_tokens"] > 0
    assert out["context_tokens"] > 0 and out["steps"] == 1 and out["incomplete"] is False


def test_plain_p_mode_prints_the_answer_without_thinking(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("Just the answer."))
    proc = run_cli(["chat", "-p", "q"], env, tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "Just the answer."
    assert "[turn" not in proc.stdout


def test_continue_picks_the_latest_session_of_this_project(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_minimax.script(Reply("one"), Reply("two"))
    _, first = run_json(["chat", "-p", "a", "--json"], env, repo)
    _, second = run_json(["chat", "-p", "b", "--continue", "--json"], env, repo / "sub")
    assert second["session_id"] == first["session_id"]


def test_an_unknown_session_exits_1_with_a_json_error(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    code, out = run_json(["chat", "-p", "x", "--session", "nope1234", "--json"], env, tmp_path)
    assert code == 1 and out["error"]["code"] == "session_not_found" and out["stop_reason"] == "error"
    proc = run_cli(["chat", "-p", "x", "--session", "nope1234"], env, tmp_path)
    assert proc.returncode == 1 and "nope1234" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_without_a_key_model_commands_say_how_to_set_one(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    del env["MINIMAX_API_KEY"]
    proc = run_cli(["chat", "-p", "x"], env, tmp_path)
    assert proc.returncode == 1 and "MINIMAX_API_KEY" in proc.stderr and "Traceback" not in proc.stderr
    code, out = run_json(["chat", "-p", "x", "--json"], env, tmp_path)
    assert code == 1 and out["error"]["code"] == "config" and out["session_id"] is None
    assert not fake_minimax.requests


@pytest.mark.parametrize(
    "argv", [["chat", "--json"], ["sessions"], ["nonsense"], ["chat", "--session", "a", "--continue"]]
)
def test_usage_errors_exit_2(tmp_path, fake_minimax, argv):
    assert run_cli(argv, m2_env(tmp_path, fake_minimax), tmp_path).returncode == 2


def test_version(tmp_path, fake_minimax):
    proc = run_cli(["--version"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("m2bridge ")


# Faults: each ends in a retried success or a clear message, and the session stays usable.
RETRIED = {
    "429 with Retry-After": Fault.rate_limited(retry_after=0.1),
    "HTTP 500": Fault.server_error(),
    "1002 rate limited": Fault.api_error(1002, "rate limit exceeded"),
    "1001 timeout": Fault.api_error(1001, "timeout"),
    "cut before anything arrived": Fault.cut_stream(0, Reply("lost")),
    "slow first byte": Fault.slow_first_byte(0.5, Reply("Recovered.")),
}


@pytest.mark.parametrize("fault", list(RETRIED.values()), ids=list(RETRIED))
def test_transient_faults_are_retried_to_success(tmp_path, fake_minimax, fault):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(fault)
    if fault.kind != "slow_first_byte":
        fake_minimax.script(Reply("Recovered."))
    code, out = run_json(["chat", "-p", "q", "--json"], env, tmp_path)
    assert (code, out["text"], out["error"]) == (0, "Recovered.", None)


FATAL = {
    "2049 wrong region": (Fault.api_error(2049, "invalid api key", 401), "auth", "api.minimaxi.com"),
    "1008 empty balance": (Fault.api_error(1008, "insufficient balance"), "balance", "balance is empty"),
    "2038 verification": (Fault.api_error(2038, "real name"), "verification", "verification"),
    "2013 invalid params": (Fault.api_error(2013, "invalid params: top_p"), "invalid_params", "top_p"),
    "stream cut mid-turn": (Fault.cut_stream(12, Reply("x" * 400)), "stream_cut", "incomplete"),
}


@pytest.mark.parametrize(("fault", "code", "words"), list(FATAL.values()), ids=list(FATAL))
def test_fatal_faults_give_a_clear_message_with_trace_id_and_keep_the_session(
    tmp_path, fake_minimax, fault, code, words
):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Reply("before"), fault, Reply("after"))
    _, first = run_json(["chat", "-p", "one", "--json"], env, tmp_path)
    session = first["session_id"]
    status, out = run_json(["chat", "-p", "two", "--session", session, "--json"], env, tmp_path)
    assert status == 1 and out["stop_reason"] == "error" and out["error"]["code"] == code
    assert words in out["error"]["message"] and out["error"]["trace_id"]
    status, again = run_json(["chat", "-p", "three", "--session", session, "--json"], env, tmp_path)
    assert (status, again["text"]) == (0, "after")
    shown = json.loads(run_cli(["sessions", "show", session, "--json"], env, tmp_path).stdout)
    assert [t["kind"] for t in shown["turns"]][:2] == ["user", "assistant"]


def test_a_cut_stream_keeps_what_arrived_marked_incomplete(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(Fault.cut_stream(14, Reply("partial answer " * 20)))
    status, out = run_json(["chat", "-p", "q", "--json"], env, tmp_path)
    assert status == 1 and out["incomplete"] is True
    shown = json.loads(run_cli(["sessions", "show", out["session_id"], "--json"], env, tmp_path).stdout)
    assistant = shown["turns"][-1]
    assert assistant["kind"] == "assistant" and assistant["incomplete"] is True and assistant["blocks"]


def test_sessions_list_show_export_fork_rm(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.script(CallTools([("missing_tool", {"a": 1})]), Reply("done"))
    _, out = run_json(["chat", "-p", "use a tool", "--json"], env, tmp_path)
    session = out["session_id"]
    listed = json.loads(run_cli(["sessions", "list", "--json"], env, tmp_path).stdout)
    assert [s["id"] for s in listed] == [session] and listed[0]["turns"] == 4
    shown = json.loads(run_cli(["sessions", "show", session[:6], "--json"], env, tmp_path).stdout)
    assert [t["kind"] for t in shown["turns"]] == ["user", "assistant", "tool_results", "assistant"]
    assert any(
        b["type"] == "thinking" for t in shown["turns"] if t["kind"] == "assistant" for b in t["blocks"]
    )
    exported = json.loads(run_cli(["sessions", "export", session], env, tmp_path).stdout)
    assistant = next(t["turn"] for t in exported["turns"] if t["turn"]["kind"] == "assistant")
    assert assistant["provider_message"] == fake_minimax.turns[0].canonical
    fork_id = run_cli(["sessions", "fork", session], env, tmp_path).stdout.strip()
    assert fork_id and fork_id != session
    fake_minimax.script(Reply("forked on"))
    code, cont = run_json(["chat", "-p", "go on", "--session", fork_id, "--json"], env, tmp_path)
    assert code == 0 and cont["text"] == "forked on"
    assert run_cli(["sessions", "rm", session], env, tmp_path).returncode == 0
    assert run_cli(["sessions", "show", session], env, tmp_path).returncode == 1
    human = run_cli(["sessions", "show", fork_id], env, tmp_path)
    assert human.returncode == 0 and "thinking" in human.stdout


def test_a_session_started_on_one_protocol_continues_on_the_other_with_a_notice(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.accept_converted = True
    fake_minimax.script(Reply("anthropic answer"), Reply("openai answer"))
    _, first = run_json(["chat", "-p", "a", "--json"], env, tmp_path)
    env["M2BRIDGE_API"] = "openai"
    proc = run_cli(["chat", "-p", "b", "--session", first["session_id"]], env, tmp_path)
    assert proc.returncode == 0 and "openai answer" in proc.stdout
    assert "converted best-effort" in proc.stderr
