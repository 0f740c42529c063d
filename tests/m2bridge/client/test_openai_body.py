"""What the OpenAI-protocol request body carries to each kind of server."""

from m2bridge.client.openai import OpenAIWire
from m2bridge.client.request import ModelRequest
from m2bridge.config import load_settings
from m2bridge.messages import UserTurn

REQUEST = ModelRequest(system="s", turns=[UserTurn(text="hi")], top_k=40)


def settings(tmp_path, **env):
    base = {"HOME": str(tmp_path), "M2BRIDGE_HOME": str(tmp_path / "h"), "M2BRIDGE_API": "openai"}
    return load_settings(base | {"M2BRIDGE_CONFIG": str(tmp_path / "none.toml")} | env)


def test_a_self_hosted_server_gets_top_k_as_an_extra_body_field(tmp_path):
    body = OpenAIWire(settings(tmp_path, M2BRIDGE_BASE_URL="http://127.0.0.1:8000/v1")).body(
        REQUEST, stream=True
    )
    assert body["top_k"] == 40 and (body["temperature"], body["top_p"]) == (1.0, 0.95)
    assert "reasoning_split" not in body


def test_hosted_minimax_gets_reasoning_split_and_no_top_k(tmp_path):
    body = OpenAIWire(settings(tmp_path, MINIMAX_API_KEY="k")).body(REQUEST, stream=False)
    assert body["reasoning_split"] is True and "top_k" not in body


def test_no_top_k_setting_sends_none(tmp_path):
    wire = OpenAIWire(settings(tmp_path, M2BRIDGE_BASE_URL="http://127.0.0.1:8000/v1"))
    body = wire.body(ModelRequest(system="s", turns=[UserTurn(text="hi")], top_k=None), stream=False)
    assert "top_k" not in body
