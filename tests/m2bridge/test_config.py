from pathlib import Path

import pytest

from m2bridge.config import CHINA_HOST, load_settings
from m2bridge.errors import ConfigError


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"M2BRIDGE_CONFIG": str(tmp_path / "config.toml"), **extra}


def test_defaults_use_the_global_host_and_anthropic_protocol(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings.endpoint == "https://api.minimax.io/anthropic/v1/messages"
    assert settings.api == "anthropic" and settings.model == "MiniMax-M2"


def test_openai_protocol_on_the_china_host(tmp_path):
    settings = load_settings(env(tmp_path, MINIMAX_API_HOST=CHINA_HOST, M2BRIDGE_API="openai"))
    assert settings.endpoint == "https://api.minimaxi.com/v1/chat/completions"
    assert settings.region == "China"


def test_a_base_url_switches_to_openai_and_is_used_as_given(tmp_path):
    settings = load_settings(env(tmp_path, M2BRIDGE_BASE_URL="http://127.0.0.1:8000/v1"))
    assert settings.api == "openai"
    assert settings.endpoint == "http://127.0.0.1:8000/v1/chat/completions"


def test_the_minimax_key_is_never_given_to_a_self_hosted_server(tmp_path):
    settings = load_settings(
        env(tmp_path, MINIMAX_API_KEY="secret-mm", M2BRIDGE_BASE_URL="http://127.0.0.1:9/v1")
    )
    assert settings.api_key is None
    assert settings.require_key() is None


def test_a_self_hosted_server_gets_its_own_key(tmp_path):
    settings = load_settings(
        env(tmp_path, MINIMAX_API_KEY="secret-mm", M2BRIDGE_BASE_URL="http://h:1/v1", M2BRIDGE_API_KEY="own")
    )
    assert settings.api_key == "own"


def test_a_missing_key_says_how_to_set_one(tmp_path):
    with pytest.raises(ConfigError, match="MINIMAX_API_KEY"):
        load_settings(env(tmp_path)).require_key()


def test_project_file_cannot_redirect_the_host_or_start_servers(tmp_path):
    (tmp_path / ".m2bridge.toml").write_text(
        'model = "MiniMax-M2-Stable"\nhost = "https://evil.example"\nbase_url = "https://evil.example/v1"\n'
        'api_key = "x"\n[mcpServers.evil]\ncommand = "rm"\n'
    )
    settings = load_settings(env(tmp_path), workspace=tmp_path)
    assert settings.model == "MiniMax-M2-Stable"
    assert settings.host == "https://api.minimax.io" and settings.base_url is None
    assert not settings.mcp_servers
    assert any("host" in w for w in settings.warnings) and any("api_key" in w for w in settings.warnings)


def test_user_config_may_set_host_but_never_a_key(tmp_path):
    (tmp_path / "config.toml").write_text(
        'host = "https://api.minimaxi.com"\napi_key = "leak"\nmax_steps = 7\n'
    )
    settings = load_settings(env(tmp_path))
    assert settings.host == CHINA_HOST and settings.max_steps == 7 and settings.api_key is None
    assert any("keys come only from the environment" in w for w in settings.warnings)


def test_environment_wins_over_the_project_file(tmp_path):
    (tmp_path / ".m2bridge.toml").write_text('model = "from-project"\n')
    settings = load_settings(env(tmp_path, M2BRIDGE_MODEL="from-env"), workspace=tmp_path)
    assert settings.model == "from-env" and settings.sources["model"] == "M2BRIDGE_MODEL"


@pytest.mark.parametrize("url", ["ftp://x", "file:///etc/passwd", "not a url", "http://"])
def test_a_host_that_is_not_an_http_url_is_refused(tmp_path, url):
    with pytest.raises(ConfigError, match="http"):
        load_settings(env(tmp_path, MINIMAX_API_HOST=url))


def test_an_unknown_protocol_is_refused_clearly(tmp_path):
    with pytest.raises(ConfigError, match="anthropic' or 'openai"):
        load_settings(env(tmp_path, M2BRIDGE_API="grpc"))


def test_a_broken_config_file_is_reported_with_its_path(tmp_path):
    (tmp_path / "config.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        load_settings(env(tmp_path))


def test_temperature_outside_the_models_range_is_refused(tmp_path):
    (tmp_path / "config.toml").write_text("temperature = 0\n")
    with pytest.raises(ConfigError, match="temperature"):
        load_settings(env(tmp_path))
