"""The fake media API and a tool set pointed at it (fast polls, a key to look for in every output)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from m2bridge.tools import ToolOutcome
from mcp_tools.toolkit import ToolOptions, Toolset, open_toolset
from tests.support.sandbox import Sandbox

KEY = "sk-media-KEY-do-not-leak-4f2a9c"


def media_env(fake: Any, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "MINIMAX_API_KEY": KEY,
        "MINIMAX_API_HOST": fake.host,
        "M2BRIDGE_CONFIG": str(sandbox.base / "no-config.toml"),
        "M2BRIDGE_MEDIA_POLL_BASE": "0.01",
        "M2BRIDGE_MEDIA_DOWNLOAD_TIMEOUT": "1",
    }
    env.update(extra)
    return {name: value for name, value in env.items() if value != ""}


@dataclass
class Media:
    """Calls the media tools the way the MCP server does, and keeps every output for the secret check."""

    sandbox: Sandbox
    fake: Any
    toolset: Toolset
    seen: list[str] = field(default_factory=list)

    @property
    def media_dir(self) -> Path:
        return self.sandbox.home / "media"

    async def call(self, name: str, **arguments: Any) -> ToolOutcome:
        outcome = await self.toolset.named(name).call(arguments)
        self.remember(outcome)
        return outcome

    def remember(self, outcome: ToolOutcome) -> None:
        self.seen.append(outcome.content)
        self.seen += [repr(a) for a in outcome.artifacts]
        self.seen += [blob.data.decode("latin-1") for blob in outcome.media]

    def reopen(self, **env: str) -> None:
        self.toolset = open_toolset(self.options(), media_env(self.fake, self.sandbox, **env))

    def tune(self, **changes: Any) -> None:
        """Rebuild the media tools with some configuration changed (e.g. a short read timeout)."""
        from mcp_tools.catalog import LazyTool
        from mcp_tools.media import media_tools

        tool = self.toolset.named("text_to_image")
        built = tool.tool() if isinstance(tool, LazyTool) else tool
        config = replace(built.config, **changes)  # type: ignore[attr-defined]
        fresh = {tool.spec.name: tool for tool in media_tools(self.toolset.context, config)}
        self.toolset.tools = [fresh.get(tool.spec.name, tool) for tool in self.toolset.tools]

    def options(self, **flags: Any) -> ToolOptions:
        return ToolOptions(roots=[self.sandbox.root], home=self.sandbox.home, no_terminal=True, **flags)

    def saved_files(self) -> list[Path]:
        found = [p for p in self.sandbox.home.rglob("*") if p.is_file() and "spill" not in p.parts]
        found += [p for p in self.sandbox.root.rglob("*") if p.is_file() and ".git" not in p.parts]
        return found


@pytest.fixture
def media(sandbox: Sandbox, fake_media: Any) -> Media:
    # A key long and odd enough that finding it anywhere in an output can only mean a leak.
    fake_media.api_key = KEY
    options = ToolOptions(roots=[sandbox.root], home=sandbox.home, no_terminal=True)
    toolset = open_toolset(options, media_env(fake_media, sandbox))
    return Media(sandbox=sandbox, fake=fake_media, toolset=toolset)


def assert_no_key(texts: list[str], *paths: Path) -> None:
    for text in texts:
        assert KEY not in text
    for path in paths:
        assert KEY not in str(path)


def jobs(fake: Any, path: str) -> list[Any]:
    return [r for r in fake.requests if r.path == path]


def env_of(mapping: Mapping[str, str]) -> dict[str, str]:
    return dict(mapping)
