"""Settings from the environment and config files, with the trust rule applied.

Order (later wins): defaults < the user's config.toml < the project's .m2bridge.toml < environment.
A project file may set only model, protocol and tool policy: a cloned repo must not be able to
redirect the API key to another host or start programs. Keys come only from the environment.
The tool policy is not ranked but joined: the deny list is the union of every file's, so a project
file can deny more tools and never give one back.
Sampling (temperature, top_p, top_k; MiniMax recommends 1.0, 0.95, 40) is set in the user's config
only, like the other tuning values: no environment variable, and no project file.
The sandbox (`sandbox`, `allow_network`, `sandbox_fallback`) likewise: the user's config and the
command line only, never a project file or the environment, since a cloned repository that could say
`sandbox = "off"` would undo the wall the sandbox is.
The session store's database (`database_url`, `M2BRIDGE_DATABASE_URL`) likewise never comes from a
project file: a cloned repository must not be able to send every conversation to its own server.
"""

from __future__ import annotations

import os
import reprlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs

from m2bridge.errors import ConfigError
from m2bridge.json_values import is_json_object, is_str_list
from m2bridge.wording import a_type

__all__ = [
    "CHINA_HOST",
    "GLOBAL_HOST",
    "PROJECT_FILE",
    "SANDBOX_MODES",
    "SandboxName",
    "Settings",
    "load_settings",
    "sandbox_name",
    "user_config_path",
]

GLOBAL_HOST = "https://api.minimax.io"
CHINA_HOST = "https://api.minimaxi.com"
PROJECT_FILE = ".m2bridge.toml"
DEFAULT_MODEL = "MiniMax-M2"

# The sandbox policies commands run under, as users write them (mcp_tools.sandbox.SandboxMode's values).
SandboxName = Literal["off", "read-only", "workspace-write"]
SANDBOX_MODES: tuple[SandboxName, ...] = ("off", "read-only", "workspace-write")

_PROJECT_KEYS = frozenset({"model", "api", "tools"})
_USER_KEYS = frozenset(
    {
        "api",
        "model",
        "host",
        "base_url",
        "tools",
        "max_steps",
        "max_tokens",
        "context_window",
        "compact_at",
        "keep_recent_turns",
        "temperature",
        "top_p",
        "top_k",
        "connect_timeout",
        "read_timeout",
        "max_retries",
        "mcpServers",
        "sandbox",
        "allow_network",
        "sandbox_fallback",
        "database_url",
    }
)
_SANDBOX_KEYS = frozenset({"sandbox", "allow_network", "sandbox_fallback"})
_SECRET_WORDS = ("key", "token", "secret", "password")
_STORE_KEYS = frozenset({"database_url"})
_DATABASE_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Settings:
    api: Literal["anthropic", "openai"] = "anthropic"
    model: str = DEFAULT_MODEL
    host: str = GLOBAL_HOST
    base_url: str | None = None
    api_key: str | None = None
    home: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("m2bridge")))
    max_steps: int = 100
    max_tokens: int = 16_384
    context_window: int = 204_800
    compact_at: float = 0.8
    keep_recent_turns: int = 6
    # MiniMax's recommended sampling for M2. top_k reaches only servers that apply it (vLLM, SGLang):
    # hosted MiniMax documents it as ignored.
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 40
    connect_timeout: float = 10.0
    # Also the stream's idle limit: a read that waits longer than this fails.
    read_timeout: float = 300.0
    max_retries: int = 4
    tools_deny: tuple[str, ...] = ()
    mcp_servers: Mapping[str, Any] = field(default_factory=dict[str, Any])
    # What commands run under (see mcp_tools.sandbox); flags and editor settings may replace these.
    sandbox: SandboxName = "workspace-write"
    allow_network: bool = False
    # `sandbox_fallback = "off"`: where no sandbox exists, run commands unsandboxed rather than not at all.
    allow_unsandboxed: bool = False
    # The session store on PostgreSQL (None: SQLite in `home`). Kept out of repr: it may hold a password.
    database_url: str | None = field(default=None, repr=False)
    # Where each value came from, for `doctor`; and what was ignored, for the user.
    sources: Mapping[str, str] = field(default_factory=dict[str, str])
    warnings: tuple[str, ...] = ()

    @property
    def uses_minimax_host(self) -> bool:
        return self.base_url is None

    @property
    def endpoint(self) -> str:
        """The full URL of the chat endpoint for the chosen protocol."""
        if self.base_url is not None:
            base = self.base_url.rstrip("/")
            return f"{base}/v1/messages" if self.api == "anthropic" else f"{base}/chat/completions"
        host = self.host.rstrip("/")
        return f"{host}/anthropic/v1/messages" if self.api == "anthropic" else f"{host}/v1/chat/completions"

    @property
    def region(self) -> str:
        netloc = urlsplit(self.host).hostname or ""
        if netloc.endswith("minimaxi.com"):
            return "China"
        if netloc.endswith("minimax.io"):
            return "global"
        return "custom"

    @property
    def sessions_db(self) -> Path:
        return self.home / "sessions.db"

    def require_key(self) -> str | None:
        """The key to send, or a ConfigError saying how to set one (self-hosted servers may need none)."""
        if self.api_key:
            return self.api_key
        if self.base_url is not None:
            return None
        raise ConfigError(
            "No MiniMax API key: set MINIMAX_API_KEY (export MINIMAX_API_KEY=...), or point "
            "M2BRIDGE_BASE_URL at a self-hosted OpenAI- or Anthropic-compatible server."
        )


def _key_from(env: Mapping[str, str], name: str) -> tuple[str | None, list[str]]:
    """The key in `name`, and a warning when it is a client's placeholder that was never filled in.

    The printed client configs take the key from `${env:MINIMAX_API_KEY}` or `${input:...}`; a client
    that does not substitute them would otherwise send that text to MiniMax as the key. Such a value
    counts as no key, so model commands say how to set one and the other tools still work.
    """
    key = env.get(name) or None
    if key is not None and key.startswith("${") and key.endswith("}"):
        return None, [
            f"{name} holds {key!r}, a placeholder your MCP client did not fill in; it is not used as a "
            "key: set the key in the client's environment, or in place of the placeholder."
        ]
    return key, []


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get("M2BRIDGE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("m2bridge")) / "config.toml"


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        # A folder in its place, no permission...: the reason without errno and a repeat of the path.
        reason = exc.strerror or str(exc)
        raise ConfigError(f"Cannot read {path}: {reason}. Fix or remove it.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Cannot read {path}: it is not UTF-8 text. Fix or remove the file.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Cannot read {path}: not valid TOML: {exc}. Fix or remove the file.") from exc


def _filtered(
    data: Mapping[str, object], allowed: frozenset[str], where: str
) -> tuple[dict[str, object], list[str]]:
    kept: dict[str, object] = {}
    warnings: list[str] = []
    for name, value in data.items():
        lowered = name.lower()
        if any(word in lowered for word in _SECRET_WORDS):
            warnings.append(f"{where}: '{name}' ignored: keys come only from the environment.")
        elif name not in allowed and name in _SANDBOX_KEYS:
            warnings.append(
                f"{where}: '{name}' ignored: the sandbox is chosen only in your user config.toml or with "
                "--sandbox and --allow-network, never by a project's file."
            )
        elif name not in allowed and name in _STORE_KEYS:
            warnings.append(
                f"{where}: '{name}' ignored: the session store's database is chosen only in your user "
                "config.toml or with M2BRIDGE_DATABASE_URL, never by a project's file."
            )
        elif name not in allowed:
            warnings.append(f"{where}: '{name}' is not allowed there and was ignored.")
        else:
            kept[name] = value
    return kept, warnings


def _check_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}.")
    return value.rstrip("/")


def _check_database_url(value: object) -> str:
    # The value is never shown: a database URL may carry a password.
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in _DATABASE_SCHEMES:
        raise ConfigError(
            "M2BRIDGE_DATABASE_URL (database_url in config.toml) must be a postgresql:// URL, "
            "e.g. postgresql://me@db.example.com/m2bridge?sslmode=verify-full."
        )
    return text


def _coerce(name: str, value: object, kind: type[int] | type[float]) -> int | float:
    wrong = ConfigError(f"Setting {name} must be {a_type(kind)}, got {value!r}.")
    # int() would quietly turn `top_k = 40.5` into 40 and `max_steps = true` into 1.
    if kind is int and (isinstance(value, bool) or (isinstance(value, float) and not value.is_integer())):
        raise wrong
    if not isinstance(value, str | int | float):  # a table, a list, a TOML date
        raise wrong
    try:
        return kind(value)
    except ValueError as exc:
        raise wrong from exc


def sandbox_name(value: object, where: str) -> SandboxName:
    """`value` as a sandbox policy, or a ConfigError naming the choices."""
    for name in SANDBOX_MODES:
        if value == name:
            return name
    choices = ", ".join(f'"{name}"' for name in SANDBOX_MODES)
    raise ConfigError(f"{where} must be one of {choices}; got {reprlib.repr(value)}.")


def _sandbox_updates(values: Mapping[str, object], where: Mapping[str, str]) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    if "sandbox" in values:
        updates["sandbox"] = sandbox_name(values["sandbox"], f"{where['sandbox']}: sandbox")
    if "allow_network" in values:
        allow = values["allow_network"]
        if not isinstance(allow, bool):
            raise ConfigError(
                f"{where['allow_network']}: allow_network must be true or false; got {reprlib.repr(allow)}."
            )
        updates["allow_network"] = allow
    if "sandbox_fallback" in values:
        fallback = values["sandbox_fallback"]
        if fallback != "off":
            raise ConfigError(
                f'{where["sandbox_fallback"]}: sandbox_fallback may only be "off" (where no sandbox exists, '
                "run commands unsandboxed); leave it out to have no process tools there instead; got "
                f"{reprlib.repr(fallback)}."
            )
        updates["allow_unsandboxed"] = True
    return updates


def _denied_tools(table: object, where: str) -> tuple[list[str], list[str]]:
    """The tool names a file's `[tools]` table denies, and a warning for anything else in it.

    Only a deny list exists: nothing in any file allows a tool (an `allow` list, `read_only = false`...),
    so a cloned repository's file can narrow what the agent may use and never widen it. A malformed
    deny list is an error rather than ignored: the file meant to deny something.
    """
    if not is_json_object(table):
        raise ConfigError(f'{where}: [tools] must be a table, like [tools] deny = ["run_command"].')
    warnings = [
        f"{where}: 'tools.{name}' ignored: the tool policy is a deny list, and files only add to it."
        for name in table
        if name != "deny"
    ]
    deny = table.get("deny", [])
    if not is_str_list(deny) or not all(deny):  # names, and none of them empty
        raise ConfigError(
            f'{where}: tools.deny must be a list of tool names, like deny = ["run_command"]; '
            f"got {reprlib.repr(deny)}."
        )
    return list(deny), warnings


_NUMERIC: dict[str, type[int] | type[float]] = {
    "max_steps": int,
    "max_tokens": int,
    "context_window": int,
    "compact_at": float,
    "keep_recent_turns": int,
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "connect_timeout": float,
    "read_timeout": float,
    "max_retries": int,
}


def load_settings(
    env: Mapping[str, str] | None = None,
    workspace: Path | None = None,
) -> Settings:
    """Build settings; raises ConfigError with a fix when a value is unusable."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    warnings: list[str] = []

    user_path = user_config_path(env)
    user, notes = _filtered(_read_toml(user_path), _USER_KEYS, str(user_path))
    warnings += notes
    layers = [(str(user_path), user)]
    if workspace is not None:
        project_path = workspace / PROJECT_FILE
        project, notes = _filtered(_read_toml(project_path), _PROJECT_KEYS, str(project_path))
        warnings += notes
        layers.append((str(project_path), project))

    denied: dict[str, None] = {}
    for where, layer in layers:
        for name, value in layer.items():
            if name == "tools":
                found, notes = _denied_tools(value, where)
                warnings += notes
                denied.update(dict.fromkeys(found))
                sources["tools_deny"] = ", ".join(filter(None, (sources.get("tools_deny"), where)))
            else:
                values[name] = value
                sources[name] = where

    for var, name in (
        ("MINIMAX_API_HOST", "host"),
        ("M2BRIDGE_BASE_URL", "base_url"),
        ("M2BRIDGE_API", "api"),
        ("M2BRIDGE_MODEL", "model"),
        ("M2BRIDGE_DATABASE_URL", "database_url"),
    ):
        if env.get(var):
            values[name] = env[var]
            sources[name] = var

    settings = Settings()
    updates: dict[str, Any] = {}
    for name, kind in _NUMERIC.items():
        if name in values:
            updates[name] = _coerce(name, values[name], kind)
    if "host" in values:
        updates["host"] = _check_url("MINIMAX_API_HOST", str(values["host"]))
    if values.get("base_url"):
        updates["base_url"] = _check_url("M2BRIDGE_BASE_URL", str(values["base_url"]))
    if "model" in values:
        updates["model"] = str(values["model"])
    if values.get("database_url"):
        updates["database_url"] = _check_database_url(values["database_url"])
    api = str(values.get("api") or ("openai" if updates.get("base_url") else "anthropic")).lower()
    if api not in ("anthropic", "openai"):
        raise ConfigError(f"M2BRIDGE_API must be 'anthropic' or 'openai', got {api!r}.")
    updates["api"] = api
    updates["tools_deny"] = tuple(denied)
    servers = values.get("mcpServers")
    if is_json_object(servers):
        updates["mcp_servers"] = dict(servers)
    updates |= _sandbox_updates(values, sources)

    # The MiniMax key goes only to the MiniMax host; a self-hosted server gets its own key, if any.
    key_name = "M2BRIDGE_API_KEY" if updates.get("base_url") else "MINIMAX_API_KEY"
    updates["api_key"], placeholder = _key_from(env, key_name)
    warnings += placeholder
    if env.get("M2BRIDGE_HOME"):
        updates["home"] = Path(env["M2BRIDGE_HOME"]).expanduser()

    settings = replace(settings, **updates, sources=sources, warnings=tuple(warnings))
    if not 0 < settings.temperature <= 1:
        raise ConfigError("temperature must be in (0, 1] for MiniMax-M2 (MiniMax recommends 1.0).")
    if not 0 < settings.top_p <= 1:
        raise ConfigError("top_p must be in (0, 1] for MiniMax-M2 (MiniMax recommends 0.95).")
    if settings.top_k < 1:
        raise ConfigError("top_k must be a positive integer (MiniMax recommends 40).")
    if settings.max_steps < 1:
        raise ConfigError("max_steps must be at least 1.")
    return settings
