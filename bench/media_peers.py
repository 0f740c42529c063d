"""Our media tools and MiniMax's own MCP server (`minimax-mcp`), both pointed at the test suite's fake media
API: the shared set-up of bench/media_parity.py and bench/bench_media.py.

The fake (tests/fakes/media) runs in this process on 127.0.0.1; each server is a stdio child with the same
key, host and resource mode (`local`: files are saved). Each side writes into its own folder, so a call's
new files can be told apart: ours into a folder inside its root (its path policy asks for that), the
official server into a folder of its own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mcp_peers
from mcp_peers import PEERS, ROOT, Server

__all__ = ["KEY", "Side", "content_kinds", "fake_media_class", "files_under", "official", "ours", "text_of"]

KEY = "test-key"


@dataclass(frozen=True)
class Side:
    """One server under test and the folder its results land in."""

    name: str
    server: Server
    out: Path


def fake_media_class() -> Any:
    """`tests.fakes.media.FakeMedia`, imported late (the repository root must be on sys.path)."""
    from tests.fakes.media import FakeMedia

    return FakeMedia


def _media_env(host: str, out: Path) -> dict[str, str]:
    return {
        "MINIMAX_API_KEY": KEY,
        "MINIMAX_API_HOST": host,
        "MINIMAX_MCP_BASE_PATH": str(out),
        "MINIMAX_API_RESOURCE_MODE": "local",
    }


def official(host: str, base: Path) -> Side:
    """`minimax-mcp` from bench/.peers, run in `base`, saving into `base/out`."""
    out = base / "out"
    out.mkdir(parents=True, exist_ok=True)
    entry = PEERS / "venv/bin/minimax-mcp"
    if not entry.is_file():
        return Side("minimax-mcp", Server("minimax-mcp", None, f"no {entry.relative_to(ROOT)}"), out)
    env = mcp_peers.ours_env(base)  # only for the default environment; it reads no M2BRIDGE_* variable
    env = {k: v for k, v in env.items() if not k.startswith("M2BRIDGE_")}
    env.update(_media_env(host, out))
    params = StdioServerParameters(command=str(entry), env=env, cwd=str(base))
    return Side("minimax-mcp", Server("minimax-mcp", params), out)


def ours(host: str, root: Path, home: Path, extra: dict[str, str] | None = None) -> Side:
    """`python -m m2bridge mcp --root ROOT`, run in ROOT, isolated from the user's config and data."""
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = mcp_peers.ours_env(home, {**_media_env(host, out), **(extra or {})})
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "m2bridge", "mcp", "--root", str(root)], env=env, cwd=str(root)
    )
    return Side("m2bridge", Server("m2bridge", params), out)


def files_under(*folders: Path) -> set[Path]:
    return {p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()}


def text_of(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")


def content_kinds(result: Any) -> list[str]:
    return [str(getattr(c, "type", "?")) for c in result.content]
