"""`m2bridge doctor`: check what a working setup needs and say what to fix.

Every check is one line, so the report stays readable when piped; any failed check exits 1.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
from rich.console import Console
from rich.text import Text

from m2bridge.cli.key_check import check_key
from m2bridge.config import CHINA_HOST, GLOBAL_HOST, Settings, load_settings, user_config_path
from m2bridge.errors import M2BridgeError
from m2bridge.workspace import detect_workspace

__all__ = ["run_doctor"]

Check = tuple[bool, str]


def _key(settings: Settings) -> Check:
    if settings.base_url is not None:
        state = "set" if settings.api_key else "not set (fine if the server needs none)"
        return True, f"self-hosted server {settings.base_url}; M2BRIDGE_API_KEY {state}"
    if settings.api_key:
        return True, "MINIMAX_API_KEY is set"
    return False, "MINIMAX_API_KEY is not set: export MINIMAX_API_KEY=... (or set M2BRIDGE_BASE_URL)"


def _region(settings: Settings) -> Check:
    if settings.base_url is not None:
        return True, "region: not applicable (self-hosted)"
    if settings.region == "custom":
        return (
            True,
            f"host {settings.host} is neither {GLOBAL_HOST} nor {CHINA_HOST} (fine for a proxy or test)",
        )
    return True, (
        f"region {settings.region} ({settings.host}); a key only works on its own region's host: "
        f"keys from the China platform need MINIMAX_API_HOST={CHINA_HOST}"
    )


def _host(settings: Settings) -> Check:
    # Without a key there is no model request to make; a GET of the root still says whether the
    # host answers, and sends nothing secret.
    parts = urlsplit(settings.endpoint)
    root = f"{parts.scheme}://{parts.netloc}/"
    try:
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            response = client.get(root)
    except httpx.HTTPError as exc:
        return False, f"{root} unreachable ({exc.__class__.__name__}): check the network or the host"
    return True, f"{root} reachable (HTTP {response.status_code}); model endpoint {settings.endpoint}"


def _key_works(settings: Settings) -> Check:
    # The one real model request: it proves the host, the endpoint and the key together.
    if settings.base_url is None and not settings.api_key:
        return _host(settings)
    verdict = anyio.run(check_key, settings)
    return verdict.ok, verdict.message


def _protocol(settings: Settings) -> Check:
    how = "reasoning_split" if settings.api == "openai" and settings.uses_minimax_host else "native blocks"
    if settings.api == "openai" and not settings.uses_minimax_host:
        how = "<think> tags, reasoning_content or native tool markup, whichever arrives"
    return True, f"protocol {settings.api}, model {settings.model}, thinking via {how}"


def _store(settings: Settings) -> Check:
    if settings.database_url:
        return _database_store(settings.database_url, settings.sources.get("database_url", "config.toml"))
    from m2bridge.sessions import SessionStore

    try:
        store = SessionStore(settings.sessions_db)
        count = len(store.list(limit=100_000))
        store.close()
        with sqlite3.connect(settings.sessions_db) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return False, f"session store {settings.sessions_db}: {exc}; {_RECOVER}"
    except (M2BridgeError, sqlite3.Error, OSError) as exc:
        return False, f"session store {settings.sessions_db}: {exc}"
    summary = f"session store {settings.sessions_db}: {count} sessions, integrity {verdict}"
    if verdict != "ok":
        return False, f"{summary}; {_RECOVER}"
    return True, summary


_RECOVER = "run `m2bridge sessions recover` to salvage every readable turn"


def _database_store(url: str, source: str) -> Check:
    """The PostgreSQL store: reachable, migrated, and how many sessions this role has there."""
    from m2bridge.sessions.postgres.store import PostgresSessionStore
    from m2bridge.sessions.postgres.url import hide_password

    where = f"session store PostgreSQL {hide_password(url)} (from {source})"
    try:
        store = PostgresSessionStore(url, pool_size=1)
        try:
            count = len(store.list(limit=100_000))
            unbound = store.bypasses_row_security()
        finally:
            store.close()
    except M2BridgeError as exc:  # the store's messages hide the password too
        return False, f"{where}: {exc}"
    if unbound:
        return False, (
            f"{where}: this role is a superuser or has BYPASSRLS, so row-level security does not keep "
            "other people's sessions from it; connect as an ordinary role (docs/postgresql.md)"
        )
    return True, f"{where}: reachable, {count} sessions of this role"


def _tools(settings: Settings) -> Check:
    problems: list[str] = []
    if shutil.which("git") is None:
        problems.append("git is missing (install it for the git tools)")
    if not (Path(sys.executable).parent / "rg").is_file() and shutil.which("rg") is None:
        problems.append("ripgrep is missing (pip install ripgrep==14.1.0, for search and find_files)")
    if importlib.util.find_spec("mcp_tools") is None:
        problems.append("the mcp_tools package is missing (reinstall m2bridge)")
    if problems:
        return False, "; ".join(problems)
    return True, "tools: git, ripgrep and the repo and terminal tools are installed"


def _bwrap_version() -> str:
    """`bubblewrap 0.8.0 (/usr/bin/bwrap)`, or just the name when its version cannot be had."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap"
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return f"bubblewrap ({path})"
    return f"{done.stdout.strip() or 'bubblewrap'} ({path})"


def _sandbox(settings: Settings) -> Check:
    """The policy in force, what enforces it, or what is missing, what fixes it and what happens meanwhile.

    Only a machine where commands cannot run at all fails: `off`, chosen or allowed as the fallback, is
    the user's decision and is said plainly."""
    from mcp_tools.sandbox import sandbox_support
    from mcp_tools.toolkit import PROCESS_TOOLS

    source = settings.sources.get("sandbox", "the default")
    network = "network allowed" if settings.allow_network else "no network"
    if settings.sandbox == "off":
        return True, f"sandbox off (from {source}): commands run unsandboxed, with all your rights"
    support = sandbox_support()
    policy = f"sandbox {settings.sandbox} (from {source}), {network}"
    if support.available:
        mechanism = _bwrap_version() if support.mechanism == "bubblewrap" else support.mechanism
        return True, f"{policy}: commands run under {mechanism}"
    fix = f"; fix: {support.fix}" if support.fix else ""
    if settings.allow_unsandboxed:
        return True, (
            f"{policy}, but no sandbox here ({support.problem}){fix}; meanwhile commands run unsandboxed "
            f'(sandbox_fallback = "off" in {settings.sources.get("sandbox_fallback", "config.toml")})'
        )
    return False, (
        f"{policy}, but no sandbox here ({support.problem}){fix}; until then {', '.join(PROCESS_TOOLS)} are "
        'absent (or set sandbox_fallback = "off" in config.toml to run commands unsandboxed)'
    )


def run_doctor() -> int:
    # soft_wrap: a piped report keeps each check on one line instead of wrapping at 80 columns.
    console = Console(highlight=False, soft_wrap=True)
    try:
        settings = load_settings(workspace=detect_workspace())
    except M2BridgeError as err:
        console.print(Text(f"✗ config: {err}", style="red"))
        return 1
    console.print(Text(f"config file: {user_config_path()}", style="dim"))
    for warning in settings.warnings:
        console.print(Text(f"! {warning}", style="yellow"))
    checks: list[Callable[[Settings], Check]] = [
        _key,
        _region,
        _protocol,
        _key_works,
        _store,
        _tools,
        _sandbox,
    ]
    failed = 0
    for check in checks:
        ok, message = check(settings)
        failed += not ok
        console.print(Text(f"{'✓' if ok else '✗'} {message}", style="green" if ok else "red"))
    return 1 if failed else 0
