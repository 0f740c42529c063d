"""Small pieces without a server: URL rules, region hints, names, outcomes, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_tools.failure import ToolFailure
from mcp_tools.media.api_errors import api_code_message, region_hint
from mcp_tools.media.config import MediaConfig
from mcp_tools.media.downloads import check_download_url
from mcp_tools.media.outputs import INLINE_LIMIT, MediaItem, media_outcome, save_bytes


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a.png",
        "http://127.0.0.1:8000/files/a.png",
        "http://127.8.9.10/a.png",
        "http://[::1]:9000/a.png",
        "http://localhost:1234/a.png",
    ],
)
def test_https_and_loopback_http_are_allowed(url: str) -> None:
    check_download_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/a.png",
        "http://10.0.0.1/a.png",
        "http://localhost.evil.com/a.png",
        "http://127.0.0.1.nip.io/a.png",
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "/etc/passwd",
        "data:image/png;base64,AAAA",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ToolFailure):
        check_download_url(url)


def test_region_hints_name_the_other_host() -> None:
    assert "https://api.minimaxi.com" in region_hint("https://api.minimax.io")
    assert "https://api.minimax.io" in region_hint("https://api.minimaxi.com")
    custom = region_hint("http://127.0.0.1:9")
    assert "api.minimax.io" in custom and "api.minimaxi.com" in custom
    assert "api.minimaxi.com" in api_code_message(2049, "invalid api key", "https://api.minimax.io")


def test_save_bytes_never_overwrites_and_uses_safe_names(tmp_path: Path) -> None:
    paths = {save_bytes(tmp_path, "../audio/x", "m/p3", b"x") for _ in range(20)}
    assert len(paths) == 20
    for path in paths:
        assert path.parent == tmp_path and path.name.startswith("audiox-") and path.suffix == ".mp3"


def test_outcome_inlines_small_files_only(tmp_path: Path) -> None:
    small, big = tmp_path / "a.png", tmp_path / "b.png"
    small.write_bytes(b"png")
    big.write_bytes(b"0" * (INLINE_LIMIT + 1))
    out = media_outcome(
        "done",
        [MediaItem("image", path=small, url="https://x/a"), MediaItem("image", path=big, url="https://x/b")],
    )
    assert len(out.media) == 1 and out.media[0].mime_type == "image/png"
    assert str(small) in out.content and "https://x/b" in out.content
    assert out.artifacts[1] == {"path": str(big), "url": "https://x/b", "kind": "image"}


def test_config_reads_the_official_variable_names(tmp_path: Path) -> None:
    env = {
        "MINIMAX_API_KEY": "k",
        "MINIMAX_API_HOST": "https://api.minimaxi.com",
        "MINIMAX_MCP_BASE_PATH": "/x",
        "MINIMAX_API_RESOURCE_MODE": "url",
        "M2BRIDGE_VIDEO_WAIT": "30",
        "M2BRIDGE_CONFIG": str(tmp_path / "none.toml"),
    }
    config = MediaConfig.from_env(env, tmp_path)
    assert (config.api_key, config.host, config.base_path) == ("k", "https://api.minimaxi.com", "/x")
    assert config.resource_mode == "url" and config.video_wait == 30
    assert config.media_home == tmp_path / "media" and "api_key" not in repr(config)
    bad = MediaConfig.from_env({**env, "MINIMAX_API_RESOURCE_MODE": "cloud"}, tmp_path)
    assert bad.problem and "MINIMAX_API_RESOURCE_MODE" in bad.problem
