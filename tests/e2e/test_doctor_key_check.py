"""`doctor` tests the key with one minimal real request to the (fake) model API and says what it found."""

import re

import pytest

from tests.fakes.minimax import FakeMiniMax, Fault, Reply
from tests.support.env import m2_env, run_cli

ROUND_TRIP = re.compile(r"key works: .* answered in \d+ ms")


def _lines_about(stdout: str, *words: str) -> list[str]:
    return [line for line in stdout.splitlines() if any(word in line for word in words)]


@pytest.mark.parametrize("mode", ["anthropic", "openai-reasoning-split", "openai-think-tags"])
def test_a_good_key_works_with_a_round_trip_and_exactly_one_tiny_request(
    tmp_path, fake_minimax: FakeMiniMax, mode: str
) -> None:
    fake_minimax.script(Reply("Hi"))
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax, mode), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ROUND_TRIP.search(proc.stdout), proc.stdout
    # Piped, the report is not wrapped at 80 columns: every line is a whole check.
    assert all(line.startswith(("config file:", "✓ ", "✗ ", "! ")) for line in proc.stdout.splitlines())
    assert len(fake_minimax.requests) == 1
    body = fake_minimax.requests[0].body
    assert body["max_tokens"] == 1
    assert len(body["messages"]) == 1 and "Hi" in str(body["messages"][0]["content"])
    assert "tools" not in body and "system" not in body


def test_the_check_sends_the_key_the_way_chat_does(tmp_path, fake_minimax: FakeMiniMax) -> None:
    fake_minimax.script(Reply("Hi"))
    env = m2_env(tmp_path, fake_minimax, MINIMAX_API_KEY="sk-doctor-1")
    fake_minimax.api_key = "sk-doctor-1"
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 0, proc.stdout
    (request,) = fake_minimax.requests
    assert request.path == "/anthropic/v1/messages"
    assert request.headers["x-api-key"] == "sk-doctor-1"
    assert "sk-doctor-1" not in proc.stdout + proc.stderr


def test_a_rejected_key_says_so_names_both_regions_and_exits_1(tmp_path, fake_minimax: FakeMiniMax) -> None:
    env = m2_env(tmp_path, fake_minimax, MINIMAX_API_KEY="sk-from-the-other-region")
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    (line,) = _lines_about(proc.stdout, "not valid")
    assert f"the key is not valid on {fake_minimax.host} (2049 invalid api key)" in line
    assert "MINIMAX_API_HOST=https://api.minimax.io" in line
    assert "MINIMAX_API_HOST=https://api.minimaxi.com" in line
    assert "sk-from-the-other-region" not in proc.stdout + proc.stderr
    assert len(fake_minimax.requests) == 1


def test_a_self_hosted_server_that_refuses_the_key_says_so_and_exits_1(
    tmp_path, fake_minimax: FakeMiniMax
) -> None:
    env = m2_env(tmp_path, fake_minimax, "openai-think-tags", M2BRIDGE_API_KEY="wrong")
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    assert f"the server at {fake_minimax.openai_base} refused M2BRIDGE_API_KEY" in proc.stdout
    assert fake_minimax.requests[0].path == "/v1/chat/completions"


def test_an_empty_balance_is_named_and_exits_1(tmp_path, fake_minimax: FakeMiniMax) -> None:
    fake_minimax.script(Fault.api_error(1008, "insufficient balance"))
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 1
    assert "the key is valid but the account balance is empty (1008)" in proc.stdout
    assert len(fake_minimax.requests) == 1


def test_a_server_error_is_reported_once_without_a_retry(tmp_path, fake_minimax: FakeMiniMax) -> None:
    fake_minimax.script(Fault.server_error())
    proc = run_cli(["doctor"], m2_env(tmp_path, fake_minimax), tmp_path)
    assert proc.returncode == 1
    assert "✗ key check failed: MiniMax internal error (1000" in proc.stdout
    assert len(fake_minimax.requests) == 1


def test_a_server_that_is_down_gets_one_line_and_exit_1(tmp_path, fake_minimax: FakeMiniMax) -> None:
    env = m2_env(tmp_path, fake_minimax, MINIMAX_API_HOST="http://127.0.0.1:9")
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    (line,) = _lines_about(proc.stdout, "reach", "connect")
    assert line.startswith("✗ cannot reach http://127.0.0.1:9/anthropic/v1/messages (ConnectError")
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr == ""


def test_no_key_sends_no_request_and_says_how_to_set_one(tmp_path, fake_minimax: FakeMiniMax) -> None:
    env = m2_env(tmp_path, fake_minimax)
    del env["MINIMAX_API_KEY"]
    proc = run_cli(["doctor"], env, tmp_path)
    assert proc.returncode == 1
    assert "MINIMAX_API_KEY is not set: export MINIMAX_API_KEY=" in proc.stdout
    assert fake_minimax.requests == []
