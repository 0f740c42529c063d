"""Settings from the editor (`initializationOptions` and `workspace/configuration`, section `m2bridge`).

An editor's workspace settings can come with a cloned repository, so they get the same distrust as a
project's `.m2bridge.toml`: they may pick the protocol, the model, and one of MiniMax's own two hosts;
a self-hosted base URL only on this machine (loopback). Anything else belongs in config.toml or the
environment. API keys are never read from settings, whatever they are called.

The sandbox (`sandbox`, `allowNetwork`) is read only from what the editor sends when it starts the server
(`initializationOptions`; VS Code sends them from user settings only, as machine-scoped settings), never
from a `workspace/configuration` answer, which can carry a workspace's values: see `EditorSetup`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from m2bridge.config import CHINA_HOST, GLOBAL_HOST, Settings, load_settings, sandbox_name
from m2bridge.errors import ConfigError
from m2bridge.json_values import is_mapping
from m2bridge.sandbox_choice import SandboxChoice
from mcp_tools.loopback import is_loopback

__all__ = [
    "EDITOR_KEYS",
    "SANDBOX_KEYS",
    "EditorSettings",
    "read_editor_settings",
    "read_sandbox_settings",
    "settings_with",
]

# Editor key -> the environment variable it stands for (the environment ranks first in load_settings).
EDITOR_KEYS = {
    "api": "M2BRIDGE_API",
    "model": "M2BRIDGE_MODEL",
    "host": "MINIMAX_API_HOST",
    "baseUrl": "M2BRIDGE_BASE_URL",
}
# The editor's names of the sandbox settings (read by `read_sandbox_settings`, not as EDITOR_KEYS).
SANDBOX_KEYS = ("sandbox", "allowNetwork")
_SECRET_WORDS = ("key", "token", "secret", "password")
_MINIMAX_HOSTS = {GLOBAL_HOST, CHINA_HOST}

EditorSettings = dict[str, str]


def _loopback(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # "http://[::1/v1" and the like: not a URL at all
        return False
    return parts.scheme in ("http", "https") and is_loopback(host)


def read_editor_settings(raw: object) -> tuple[EditorSettings, list[str]]:
    """The usable `m2bridge` settings and a warning for each refused one."""
    if raw is None:
        return {}, []
    if not is_mapping(raw):
        return {}, ["m2bridge settings must be an object; ignored."]
    kept: EditorSettings = {}
    warnings: list[str] = []
    for name, value in raw.items():
        name = str(name)
        if any(word in name.lower() for word in _SECRET_WORDS):
            warnings.append(
                f"m2bridge.{name} ignored: API keys are read only from the environment "
                "(MINIMAX_API_KEY) or the editor's secret store, never from settings."
            )
            continue
        if name not in EDITOR_KEYS or value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 2048:
            warnings.append(f"m2bridge.{name} must be a short string; ignored.")
            continue
        if name == "host" and value.rstrip("/") not in _MINIMAX_HOSTS:
            warnings.append(
                f"m2bridge.host {value!r} ignored: from editor settings only {GLOBAL_HOST} or {CHINA_HOST}; "
                "set another host with MINIMAX_API_HOST, where a cloned repository cannot redirect your key."
            )
            continue
        if name == "baseUrl" and not _loopback(value):
            warnings.append(
                f"m2bridge.baseUrl {value!r} ignored: from editor settings only a server on this machine; "
                "set another with M2BRIDGE_BASE_URL or base_url in config.toml."
            )
            continue
        kept[name] = value.rstrip("/") if name == "host" else value
    return kept, warnings


def settings_with(editor: EditorSettings, env: Mapping[str, str], workspace: Path) -> Settings:
    """The engine's settings with the editor's choices ranked above config files and the environment."""
    overlay = {EDITOR_KEYS[name]: value for name, value in editor.items()}
    return load_settings({**env, **overlay}, workspace=workspace)


def read_sandbox_settings(raw: object) -> tuple[SandboxChoice, list[str]]:
    """The editor's `sandbox` and `allowNetwork`, and a warning naming the choices for an unusable one.

    An empty or absent value says nothing: the user config, then the default, decide."""
    if not is_mapping(raw):
        return SandboxChoice(), []
    warnings: list[str] = []
    mode = raw.get("sandbox")
    if mode is not None and mode != "":
        try:
            mode = sandbox_name(mode, "m2bridge.sandbox")
        except ConfigError as err:
            warnings.append(f"{err} Ignored.")
            mode = None
    else:
        mode = None
    allow = raw.get("allowNetwork")
    if allow is not None and not isinstance(allow, bool):
        warnings.append(f"m2bridge.allowNetwork must be true or false; got {allow!r}. Ignored.")
        allow = None
    return SandboxChoice(mode=mode, allow_network=allow), warnings
