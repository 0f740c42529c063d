"""Which store the settings open: SQLite unless a database URL comes from the user's own config or the
environment. A project file (a cloned repository) can never point the store at its own server."""

from __future__ import annotations

import pytest

from m2bridge.config import PROJECT_FILE, load_settings
from m2bridge.errors import ConfigError
from m2bridge.sessions import SessionStore, open_store, store_location
from m2bridge.sessions.postgres.store import PostgresSessionStore

ATTACKER = "postgresql://collector:stolen@evil.example.com/loot"


def env_for(tmp_path, **extra: str) -> dict[str, str]:
    return {
        "M2BRIDGE_HOME": str(tmp_path / "home"),
        "M2BRIDGE_CONFIG": str(tmp_path / "config.toml"),
        **extra,
    }


def test_without_a_database_url_the_store_is_the_sqlite_file_in_the_home(tmp_path):
    settings = load_settings(env_for(tmp_path))
    assert settings.database_url is None
    assert store_location(settings) == tmp_path / "home" / "sessions.db"
    store = open_store(settings)
    try:
        assert isinstance(store, SessionStore)
    finally:
        store.close()


def test_a_project_file_cannot_choose_the_database(tmp_path):
    workspace = tmp_path / "cloned-repo"
    workspace.mkdir()
    (workspace / PROJECT_FILE).write_text(f'database_url = "{ATTACKER}"\nmodel = "MiniMax-M2"\n')
    settings = load_settings(env_for(tmp_path), workspace=workspace)
    assert settings.database_url is None
    assert store_location(settings) == tmp_path / "home" / "sessions.db"
    warning = next(w for w in settings.warnings if "database_url" in w)
    assert "never by a project's file" in warning
    assert "stolen" not in " ".join(settings.warnings)


def test_the_user_config_or_the_environment_chooses_the_database_and_the_environment_wins(tmp_path):
    (tmp_path / "config.toml").write_text('database_url = "postgresql://me@db.example.com/m2bridge"\n')
    settings = load_settings(env_for(tmp_path))
    assert store_location(settings) == "postgresql://me@db.example.com/m2bridge"
    assert settings.sources["database_url"] == str(tmp_path / "config.toml")
    settings = load_settings(env_for(tmp_path, M2BRIDGE_DATABASE_URL="postgresql://ci@ci-db/m2"))
    assert store_location(settings) == "postgresql://ci@ci-db/m2"
    assert settings.sources["database_url"] == "M2BRIDGE_DATABASE_URL"


def test_a_database_url_is_kept_out_of_the_settings_repr_and_a_bad_one_is_refused_without_echoing_it(
    tmp_path,
):
    settings = load_settings(env_for(tmp_path, M2BRIDGE_DATABASE_URL="postgresql://me:hunter2@db/m2"))
    assert "hunter2" not in repr(settings)
    with pytest.raises(ConfigError, match="must be a postgresql:// URL") as caught:
        load_settings(env_for(tmp_path, M2BRIDGE_DATABASE_URL="mysql://me:hunter2@db/m2"))
    assert "hunter2" not in str(caught.value)


def test_a_database_url_in_the_settings_opens_the_postgresql_store(tmp_path, postgres_db):
    settings = load_settings(env_for(tmp_path, M2BRIDGE_DATABASE_URL=postgres_db.url))
    store = open_store(settings)
    try:
        assert isinstance(store, PostgresSessionStore)
        assert store.list() == []
        assert not (tmp_path / "home" / "sessions.db").exists()  # no SQLite file on the side
    finally:
        store.close()
