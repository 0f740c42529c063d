"""`m2bridge chat -p` processes that continue one session on alternating protocols, and sampling fields.

Against the strict fake, which refuses any altered same-protocol turn; the converted turns are checked
here: the other protocol's thinking must arrive as `<think>` text, not be dropped.
"""

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.fakes.minimax.turns import default_thinking
from tests.support.env import m2_env, run_cli, run_json

SWITCH_NOTICE = "converted best-effort"


def think(turn):
    return f"<think>\n{default_thinking(turn.marker)}\n</think>\n\n"


def chat(env, tmp_path, prompt, session=None):
    args = ["chat", "-p", prompt, *(["--session", session] if session else [])]
    proc = run_cli(args, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("first", ["anthropic", "openai"])
def test_a_session_switched_to_the_other_protocol_and_back_keeps_the_thinking_and_says_so_each_time(
    tmp_path, fake_minimax, first
):
    fake_minimax.accept_converted = True
    second = "openai" if first == "anthropic" else "anthropic"
    env = m2_env(tmp_path, fake_minimax, "anthropic", M2BRIDGE_API=first)
    fake_minimax.script(Reply("one"), CallTools([("search", {"query": "x"})], text="Looking."), Reply("two"))
    fake_minimax.script(Reply("three"))
    code, out = run_json(["chat", "-p", "a", "--json"], env, tmp_path)
    assert code == 0 and out["error"] is None
    session = out["session_id"]

    env["M2BRIDGE_API"] = second
    switched = chat(env, tmp_path, "b", session)
    env["M2BRIDGE_API"] = first
    back = chat(env, tmp_path, "c", session)
    assert SWITCH_NOTICE in switched.stderr and f"on {second}," in switched.stderr
    assert SWITCH_NOTICE in back.stderr and f"last answered over {second}; on {first}," in back.stderr

    said = [m for m in fake_minimax.requests[-1].body["messages"] if m["role"] == "assistant"]
    one, looking, two, _three = fake_minimax.turns
    assert said[0] == one.canonical  # the first protocol's turn, value-identical, after two switches
    if first == "anthropic":
        assert said[1]["content"][0] == {"type": "text", "text": think(looking) + "Looking."}
        assert [b.get("id") for b in said[1]["content"][1:]] == list(looking.tool_ids)
        assert said[2]["content"] == [{"type": "text", "text": think(two) + "two"}]
    else:
        assert said[1]["content"] == think(looking) + "Looking."
        assert [c["id"] for c in said[1]["tool_calls"]] == list(looking.tool_ids)
        assert said[2]["content"] == think(two) + "two"

    # A fourth run on the same protocol says nothing more: the switch was announced.
    fake_minimax.script(Reply("four"))
    assert SWITCH_NOTICE not in chat(env, tmp_path, "d", session).stderr


def anthropic_request_body(tmp_path, fake_minimax, mode_env, config=""):
    (tmp_path / "config.toml").write_text(config)
    env = m2_env(tmp_path, fake_minimax, "anthropic", **mode_env)
    fake_minimax.script(Reply("ok"))
    chat(env, tmp_path, "hi")
    return fake_minimax.requests[-1].body


SELF_HOSTED_ANTHROPIC = {"M2BRIDGE_API": "anthropic", "M2BRIDGE_API_KEY": "test-key"}


def test_a_self_hosted_anthropic_server_gets_minimaxs_recommended_top_k(tmp_path, fake_minimax):
    body = anthropic_request_body(
        tmp_path, fake_minimax, {**SELF_HOSTED_ANTHROPIC, "M2BRIDGE_BASE_URL": fake_minimax.anthropic_base}
    )
    assert (body["temperature"], body["top_p"], body["top_k"]) == (1.0, 0.95, 40)


def test_the_hosted_anthropic_endpoint_gets_no_top_k_which_it_would_ignore(tmp_path, fake_minimax):
    body = anthropic_request_body(tmp_path, fake_minimax, {})
    assert "top_k" not in body and (body["temperature"], body["top_p"]) == (1.0, 0.95)


def test_sampling_from_the_user_config_reaches_a_self_hosted_server(tmp_path, fake_minimax):
    body = anthropic_request_body(
        tmp_path,
        fake_minimax,
        {**SELF_HOSTED_ANTHROPIC, "M2BRIDGE_BASE_URL": fake_minimax.anthropic_base},
        config="temperature = 0.7\ntop_p = 0.8\ntop_k = 20\n",
    )
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0.7, 0.8, 20)
