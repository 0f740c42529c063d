"""Settings from the editor get a cloned repository's distrust (lsp/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp.settings import EDITOR_KEYS, read_editor_settings, settings_with
from m2bridge.config import CHINA_HOST, GLOBAL_HOST
from m2bridge.errors import ConfigError


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose config file and home are under tmp_path, never the user's own."""
    return {
        "M2BRIDGE_HOME": str(tmp_path / "home"),
        "M2BRIDGE_CONFIG": str(tmp_path / "config.toml"),
        **extra,
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def test_editor_settings_keep_the_protocol_model_and_a_minimax_host() -> None:
    kept, warnings = read_editor_settings(
        {"api": "openai", "model": "MiniMax-M2-Stable", "host": GLOBAL_HOST}
    )
    assert kept == {"api": "openai", "model": "MiniMax-M2-Stable", "host": GLOBAL_HOST}
    assert warnings == []


def test_editor_settings_refuse_a_host_a_cloned_repo_could_use_to_steal_the_key() -> None:
    kept, warnings = read_editor_settings({"host": "https://evil.example"})
    assert kept == {}
    [warning] = warnings
    assert "MINIMAX_API_HOST" in warning and "https://evil.example" in warning


@pytest.mark.parametrize(
    "host",
    ["https://api.minimax.io.evil.example", "http://api.minimax.io", "https://evil.example/api.minimax.io"],
)
def test_editor_settings_refuse_hosts_that_only_look_like_minimax(host: str) -> None:
    kept, warnings = read_editor_settings({"host": host})
    assert kept == {} and len(warnings) == 1


def test_editor_settings_accept_the_china_host_without_its_trailing_slash() -> None:
    kept, warnings = read_editor_settings({"host": "https://api.minimaxi.com/"})
    assert kept == {"host": CHINA_HOST} and CHINA_HOST == "https://api.minimaxi.com"
    assert warnings == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/v1", "http://[::1]:1/v1", "http://localhost:11434/v1", "http://127.8.9.10/v1"],
)
def test_editor_settings_accept_a_base_url_on_this_machine(url: str) -> None:
    assert read_editor_settings({"baseUrl": url}) == ({"baseUrl": url}, [])


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/v1",
        "https://evil.example/v1",
        "http://localhost.evil.example/v1",
        "http://127.0.0.1@evil.example/v1",
        "127.0.0.1:8000/v1",
    ],
)
def test_editor_settings_refuse_a_base_url_off_this_machine(url: str) -> None:
    kept, warnings = read_editor_settings({"baseUrl": url})
    assert kept == {}
    [warning] = warnings
    assert "M2BRIDGE_BASE_URL" in warning


@pytest.mark.parametrize("url", ["http://[::1/v1", "http://[not-an-address]/v1"])
def test_a_malformed_base_url_is_refused_with_a_warning_not_an_exception(url: str) -> None:
    kept, warnings = read_editor_settings({"baseUrl": url})
    assert kept == {} and len(warnings) == 1


@pytest.mark.parametrize(
    "name", ["apiKey", "api_key", "MINIMAX_API_KEY", "token", "authToken", "secret", "password"]
)
def test_editor_settings_never_take_a_key_whatever_it_is_called(name: str) -> None:
    kept, warnings = read_editor_settings({name: "sk-live-123", "model": "MiniMax-M2"})
    assert kept == {"model": "MiniMax-M2"}
    assert "sk-live-123" not in repr(kept)
    [warning] = warnings
    assert name in warning and "MINIMAX_API_KEY" in warning
    assert "sk-live-123" not in warning


@pytest.mark.parametrize("raw", ["model=MiniMax-M2", ["model"], 42])
def test_editor_settings_that_are_not_an_object_are_refused(raw: object) -> None:
    kept, warnings = read_editor_settings(raw)
    assert kept == {}
    [warning] = warnings
    assert "object" in warning


def test_absent_editor_settings_are_no_settings_and_no_warning() -> None:
    assert read_editor_settings(None) == ({}, [])


def test_unknown_and_empty_editor_settings_are_ignored_quietly() -> None:
    assert read_editor_settings({"theme": "dark", "model": "", "api": None}) == ({}, [])


@pytest.mark.parametrize("value", [5, ["MiniMax-M2"], {"name": "MiniMax-M2"}, "M" * 2049])
def test_editor_settings_must_be_short_strings(value: object) -> None:
    kept, warnings = read_editor_settings({"model": value})
    assert kept == {}
    [warning] = warnings
    assert "m2bridge.model" in warning


def test_every_editor_key_stands_for_an_environment_variable() -> None:
    assert EDITOR_KEYS == {
        "api": "M2BRIDGE_API",
        "model": "M2BRIDGE_MODEL",
        "host": "MINIMAX_API_HOST",
        "baseUrl": "M2BRIDGE_BASE_URL",
    }


def test_the_editors_model_beats_the_environments(tmp_path: Path, workspace: Path) -> None:
    env = isolated_env(tmp_path, M2BRIDGE_MODEL="from-env")
    settings = settings_with({"model": "from-editor"}, env, workspace)
    assert settings.model == "from-editor"
    assert settings.sources["model"] == "M2BRIDGE_MODEL"
    assert settings.home == tmp_path / "home"


def test_without_editor_settings_the_environment_holds(tmp_path: Path, workspace: Path) -> None:
    settings = settings_with({}, isolated_env(tmp_path, M2BRIDGE_MODEL="from-env"), workspace)
    assert settings.model == "from-env"


def test_the_editors_choices_beat_the_user_config_file(tmp_path: Path, workspace: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "from-file"\napi = "anthropic"\n')
    settings = settings_with({"model": "from-editor", "api": "openai"}, isolated_env(tmp_path), workspace)
    assert (settings.model, settings.api) == ("from-editor", "openai")


def test_the_editors_china_host_reaches_the_endpoint(tmp_path: Path, workspace: Path) -> None:
    kept, _ = read_editor_settings({"host": "https://api.minimaxi.com/", "api": "openai"})
    settings = settings_with(kept, isolated_env(tmp_path), workspace)
    assert settings.endpoint == "https://api.minimaxi.com/v1/chat/completions"


def test_an_editor_base_url_never_receives_the_minimax_key(tmp_path: Path, workspace: Path) -> None:
    kept, _ = read_editor_settings({"baseUrl": "http://127.0.0.1:8000/v1"})
    settings = settings_with(kept, isolated_env(tmp_path, MINIMAX_API_KEY="mm-secret"), workspace)
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.api == "openai"
    assert settings.api_key is None


def test_an_editor_api_that_is_no_protocol_is_a_config_error(tmp_path: Path, workspace: Path) -> None:
    with pytest.raises(ConfigError, match="gopher"):
        settings_with({"api": "gopher"}, isolated_env(tmp_path), workspace)


def test_the_editors_sandbox_settings_are_read_with_their_types() -> None:
    from lsp.settings import read_sandbox_settings
    from m2bridge.sandbox_choice import SandboxChoice

    assert read_sandbox_settings({"sandbox": "read-only", "allowNetwork": True}) == (
        SandboxChoice(mode="read-only", allow_network=True),
        [],
    )
    assert read_sandbox_settings({"sandbox": "", "allowNetwork": None}) == (SandboxChoice(), [])
    assert read_sandbox_settings(None) == (SandboxChoice(), [])


def test_an_unusable_sandbox_setting_is_ignored_with_a_warning_naming_the_choices() -> None:
    from lsp.settings import read_sandbox_settings
    from m2bridge.sandbox_choice import SandboxChoice

    choice, warnings = read_sandbox_settings({"sandbox": "loose", "allowNetwork": "yes"})
    assert choice == SandboxChoice()
    assert warnings == [
        'm2bridge.sandbox must be one of "off", "read-only", "workspace-write"; got \'loose\'. Ignored.',
        "m2bridge.allowNetwork must be true or false; got 'yes'. Ignored.",
    ]


def test_the_sandbox_is_no_editor_key_a_configuration_answer_could_carry() -> None:
    assert not {"sandbox", "allowNetwork"} & set(EDITOR_KEYS)
