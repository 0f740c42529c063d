"""An isolated m2bridge environment pointed at the fake MiniMax API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from m2bridge.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]

# (name, how the env points at the fake, the fake's openai_thinking mode)
MODES = {
    "anthropic": ("host", "anthropic", None),
    "openai-reasoning-split": ("host", "openai", None),
    "openai-think-tags": ("base_url", "openai", "think_tags"),
    "openai-reasoning-content": ("base_url", "openai", "reasoning_content"),
    "openai-native-tool-markup": ("base_url", "openai", "native"),
}


def m2_env(tmp_path: Path, fake: Any, mode: str = "anthropic", **extra: str) -> dict[str, str]:
    """Environment for in-process settings and for CLI subprocesses."""
    how, api, thinking = MODES[mode]
    if thinking is not None:
        fake.openai_thinking = thinking
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "M2BRIDGE_HOME": str(home),
        "M2BRIDGE_CONFIG": str(tmp_path / "config.toml"),
        "M2BRIDGE_API": api,
        "MINIMAX_API_KEY": "test-key",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if how == "host":
        env["MINIMAX_API_HOST"] = fake.host
    else:
        env["M2BRIDGE_BASE_URL"] = fake.openai_base if api == "openai" else fake.anthropic_base
        env["M2BRIDGE_API_KEY"] = "test-key"
    env.update(extra)
    return env


def make_project(tmp_path: Path, app: str = "def answer():\n    return 1\n") -> Path:
    """A git repository `project` under `tmp_path` holding `app.py`."""
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "app.py").write_text(app)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def settings_for(env: dict[str, str], workspace: Path | None = None) -> Settings:
    return load_settings(env, workspace=workspace)


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "m2bridge", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The keys of `chat -p --json`'s one object (design.md, Public contracts), on success and failure alike.
JSON_CONTRACT_FIELDS = frozenset(
    {
        "session_id",
        "text",
        "stop_reason",
        "incomplete",
        "steps",
        "usage",
        "context_tokens",
        "tool_calls",
        "error",
        "compactions",
    }
)


def run_json(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, dict[str, Any]]:
    proc = run_cli(args, env, cwd)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got stdout={proc.stdout!r} stderr={proc.stderr!r}"
    return proc.returncode, json.loads(lines[0])
