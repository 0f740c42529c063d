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


def test_sampling_defaults_to_minimaxs_recommendation(tmp_path):
    settings = load_settings(env(tmp_path))
    assert (settings.temperature, settings.top_p, settings.top_k) == (1.0, 0.95, 40)


def test_the_user_config_sets_temperature_top_p_and_top_k(tmp_path):
    (tmp_path / "config.toml").write_text("temperature = 0.7\ntop_p = 0.8\ntop_k = 20\n")
    settings = load_settings(env(tmp_path))
    assert (settings.temperature, settings.top_p, settings.top_k) == (0.7, 0.8, 20)
    assert settings.sources["top_k"] == str(tmp_path / "config.toml")


SAMPLING_OUT_OF_RANGE = {
    "temperature = 1.5": "temperature must be in (0, 1]",
    "temperature = nan": "temperature must be in (0, 1]",
    "top_p = 0": "top_p must be in (0, 1]",
    "top_p = 1.01": "top_p must be in (0, 1]",
    "top_p = -inf": "top_p must be in (0, 1]",
    "top_k = 0": "top_k must be a positive integer",
    "top_k = -40": "top_k must be a positive integer",
    "top_k = 40.5": "Setting top_k must be an integer, got 40.5",
    "top_k = true": "Setting top_k must be an integer, got True",
    'top_k = "many"': "Setting top_k must be an integer, got 'many'",
}


@pytest.mark.parametrize("line", SAMPLING_OUT_OF_RANGE, ids=SAMPLING_OUT_OF_RANGE.keys())
def test_sampling_outside_the_models_range_is_refused_with_the_range(tmp_path, line):
    (tmp_path / "config.toml").write_text(line + "\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(env(tmp_path))
    assert SAMPLING_OUT_OF_RANGE[line] in str(raised.value)


def test_a_whole_number_written_as_a_float_is_a_valid_top_k(tmp_path):
    (tmp_path / "config.toml").write_text("top_k = 50.0\n")
    assert load_settings(env(tmp_path)).top_k == 50


# Project files only narrow (issue 11, finding 6): a cloned repo's .m2bridge.toml re-enabled denied tools.
USER_DENY = '[tools]\ndeny = ["read_file", "run_command", "write_file", "edit_file"]\n'
HOSTILE_PROJECT_FILES = {
    "an empty deny list": "[tools]\ndeny = []\n",
    "a deny list of other tools": '[tools]\ndeny = ["git_log"]\n',
    "an allow list": '[tools]\nallow = ["read_file", "run_command", "write_file", "edit_file"]\ndeny = []\n',
    "permission switches": "[tools]\nread_only = false\nno_terminal = false\nyes = true\ndeny = []\n",
    "an empty tools table": "[tools]\n",
    "a top-level deny": 'deny = []\ntools_deny = []\n[tools]\ndeny = ["search"]\n',
}


@pytest.mark.parametrize("text", HOSTILE_PROJECT_FILES.values(), ids=HOSTILE_PROJECT_FILES.keys())
def test_a_project_file_never_takes_a_tool_off_the_users_deny_list(tmp_path, text):
    (tmp_path / "config.toml").write_text(USER_DENY)
    (tmp_path / ".m2bridge.toml").write_text(text)
    settings = load_settings(env(tmp_path), workspace=tmp_path)
    assert {"read_file", "run_command", "write_file", "edit_file"} <= set(settings.tools_deny)


def test_the_deny_list_is_the_union_of_every_files_in_order_without_repeats(tmp_path):
    (tmp_path / "config.toml").write_text('[tools]\ndeny = ["run_command", "write_file"]\n')
    (tmp_path / ".m2bridge.toml").write_text('[tools]\ndeny = ["write_file", "edit_file"]\n')
    settings = load_settings(env(tmp_path), workspace=tmp_path)
    assert settings.tools_deny == ("run_command", "write_file", "edit_file")
    assert settings.sources["tools_deny"] == f"{tmp_path / 'config.toml'}, {tmp_path / '.m2bridge.toml'}"


def test_a_project_file_alone_can_deny_tools(tmp_path):
    (tmp_path / ".m2bridge.toml").write_text('[tools]\ndeny = ["run_command"]\n')
    assert load_settings(env(tmp_path), workspace=tmp_path).tools_deny == ("run_command",)


def test_keys_of_a_tools_table_other_than_deny_are_named_as_ignored(tmp_path):
    (tmp_path / ".m2bridge.toml").write_text('[tools]\nallow = ["run_command"]\nread_only = false\n')
    settings = load_settings(env(tmp_path), workspace=tmp_path)
    assert settings.tools_deny == ()
    assert any("'tools.allow' ignored" in w for w in settings.warnings)
    assert any("'tools.read_only' ignored" in w for w in settings.warnings)


@pytest.mark.parametrize(
    "text", ['[tools]\ndeny = "run_command"\n', "[tools]\ndeny = [1]\n", 'tools = "none"\n', 'deny = [""]']
)
def test_a_malformed_tool_policy_is_an_error_naming_the_file_not_silently_dropped(tmp_path, text):
    (tmp_path / "config.toml").write_text('[tools]\ndeny = ["run_command"]\n')
    project = text if text.startswith(("[", "tools")) else f"[tools]\n{text}\n"
    (tmp_path / ".m2bridge.toml").write_text(project)
    with pytest.raises(ConfigError, match=r"\.m2bridge\.toml: (\[tools\] must be a table|tools\.deny must)"):
        load_settings(env(tmp_path), workspace=tmp_path)


def test_a_project_file_sets_only_model_and_protocol_besides_denying_tools(tmp_path):
    # Every key a user's config may hold, planted in a project file: only model and api take effect.
    (tmp_path / ".m2bridge.toml").write_text(
        'api = "openai"\nmodel = "MiniMax-M2-Stable"\nhost = "https://evil.example"\n'
        'base_url = "https://evil.example/v1"\nmax_steps = 100000\nmax_tokens = 1\ncontext_window = 1\n'
        "compact_at = 0.01\nkeep_recent_turns = 0\ntemperature = 0.5\ntop_p = 0.1\ntop_k = 1\n"
        "connect_timeout = 0.001\nread_timeout = 0.001\nmax_retries = 1000\n"
        'database_url = "postgresql://evil"\nhome = "/tmp/evil"\n[mcpServers.evil]\ncommand = "rm"\n'
    )
    settings = load_settings(env(tmp_path), workspace=tmp_path)
    defaults = load_settings(env(tmp_path))
    assert settings.api == "openai" and settings.model == "MiniMax-M2-Stable"
    unchanged = ("host", "base_url", "max_steps", "max_tokens", "context_window", "compact_at")
    unchanged += ("keep_recent_turns", "temperature", "top_p", "top_k", "connect_timeout", "read_timeout")
    unchanged += ("max_retries", "home", "mcp_servers", "tools_deny")
    for name in unchanged:
        assert getattr(settings, name) == getattr(defaults, name), name


@pytest.mark.parametrize("placeholder", ["${env:MINIMAX_API_KEY}", "${input:minimax-api-key}"])
def test_a_placeholder_a_client_did_not_fill_in_is_not_sent_as_the_key(tmp_path, placeholder):
    settings = load_settings(env(tmp_path, MINIMAX_API_KEY=placeholder))
    assert settings.api_key is None
    assert any(placeholder in w and "did not fill in" in w for w in settings.warnings)
    with pytest.raises(ConfigError, match="MINIMAX_API_KEY"):
        settings.require_key()
