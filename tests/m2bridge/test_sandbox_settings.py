"""The sandbox is chosen by the user config and the command line only (m2bridge/config.py,
m2bridge/sandbox_choice.py): a cloned repository's `.m2bridge.toml` cannot turn it off."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from m2bridge.config import load_settings
from m2bridge.errors import ConfigError
from m2bridge.sandbox_choice import SandboxChoice, add_sandbox_arguments, choose_sandbox, flag_choice


def env(tmp_path: Path) -> dict[str, str]:
    return {"M2BRIDGE_CONFIG": str(tmp_path / "config.toml")}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="m2bridge test")
    add_sandbox_arguments(parser)
    return parser.parse_args(argv)


def test_by_default_commands_run_in_a_workspace_write_sandbox_without_network_or_fallback(
    tmp_path: Path,
) -> None:
    settings = load_settings(env(tmp_path))
    assert (settings.sandbox, settings.allow_network, settings.allow_unsandboxed) == (
        "workspace-write",
        False,
        False,
    )


def test_the_user_config_chooses_the_policy_the_network_and_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'sandbox = "read-only"\nallow_network = true\nsandbox_fallback = "off"\n'
    )
    settings = load_settings(env(tmp_path))
    assert (settings.sandbox, settings.allow_network, settings.allow_unsandboxed) == ("read-only", True, True)
    assert settings.sources["sandbox"] == str(tmp_path / "config.toml")


@pytest.mark.parametrize(
    "line",
    ['sandbox = "off"', "allow_network = true", 'sandbox_fallback = "off"'],
)
def test_a_cloned_repos_project_file_cannot_touch_the_sandbox(tmp_path: Path, line: str) -> None:
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / ".m2bridge.toml").write_text(line + "\n")
    settings = load_settings(env(tmp_path), workspace=workspace)
    assert (settings.sandbox, settings.allow_network, settings.allow_unsandboxed) == (
        "workspace-write",
        False,
        False,
    )
    [warning] = settings.warnings
    name = line.split(" =")[0]
    assert f"'{name}' ignored" in warning and "user config.toml" in warning and "--sandbox" in warning


def test_a_project_file_cannot_loosen_a_stricter_user_choice_either(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('sandbox = "read-only"\n')
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / ".m2bridge.toml").write_text('sandbox = "workspace-write"\nallow_network = true\n')
    settings = load_settings(env(tmp_path), workspace=workspace)
    assert (settings.sandbox, settings.allow_network) == ("read-only", False)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('sandbox = "none"', 'sandbox must be one of "off", "read-only", "workspace-write"; got \'none\''),
        ("sandbox = false", 'sandbox must be one of "off", "read-only", "workspace-write"; got False'),
        ('allow_network = "yes"', "allow_network must be true or false; got 'yes'"),
        ('sandbox_fallback = "on"', 'sandbox_fallback may only be "off"'),
        ("sandbox_fallback = true", 'sandbox_fallback may only be "off"'),
    ],
)
def test_an_unusable_sandbox_setting_is_an_error_naming_the_file_and_the_choices(
    tmp_path: Path, line: str, expected: str
) -> None:
    (tmp_path / "config.toml").write_text(line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env(tmp_path))
    assert str(tmp_path / "config.toml") in str(caught.value)
    assert expected in str(caught.value)


def test_flags_rank_above_the_user_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('sandbox = "read-only"\n')
    settings = choose_sandbox(
        load_settings(env(tmp_path)),
        flag_choice(parse("--sandbox", "off", "--allow-network")),
        "the command line",
    )
    assert (settings.sandbox, settings.allow_network) == ("off", True)
    assert settings.sources["sandbox"] == settings.sources["allow_network"] == "the command line"


def test_without_flags_the_user_config_stands(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('sandbox = "read-only"\nallow_network = true\n')
    settings = choose_sandbox(load_settings(env(tmp_path)), flag_choice(parse()), "the command line")
    assert (settings.sandbox, settings.allow_network) == ("read-only", True)
    assert flag_choice(parse()) == SandboxChoice()


def test_an_unknown_sandbox_flag_is_a_usage_error_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse("--sandbox", "none")
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--sandbox: invalid choice: 'none'" in err
    assert all(name in err.split("choose from")[1] for name in ("off", "read-only", "workspace-write"))
