"""Every media tool against the fake media API, through the tool objects and one real MCP client."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_tools.server.app import build_server
from mcp_tools.toolkit import open_toolset
from tests.fakes.media import MediaFault
from tests.mcp_tools.media.conftest import KEY, Media, assert_no_key, jobs, media_env


def saved_path(outcome: Any, index: int = 0) -> Path:
    return Path(outcome.artifacts[index]["path"])


async def test_text_to_image_saves_each_image_with_path_url_and_inline_content(media: Media) -> None:
    out = await media.call("text_to_image", prompt="a red fox in snow", n=2, aspect_ratio="16:9")
    assert not out.is_error, out.content
    assert len(out.artifacts) == 2
    for artifact in out.artifacts:
        path = Path(artifact["path"])
        assert path.parent == media.media_dir and path.is_file() and path.stat().st_size > 0
        assert path.name.startswith("image-") and artifact["kind"] == "image"
        assert artifact["path"] in out.content and artifact["url"] in out.content
    assert [blob.kind for blob in out.media] == ["image", "image"]
    sent = jobs(media.fake, "/v1/image_generation")[0].json
    assert sent["n"] == 2 and sent["aspect_ratio"] == "16:9" and sent["model"] == "image-01"
    assert sent["prompt_optimizer"] is True
    assert_no_key(media.seen, *media.saved_files())


async def test_text_to_audio_saves_hex_audio_and_omits_emotion_unless_given(media: Media) -> None:
    out = await media.call("text_to_audio", text="Hello there")
    assert not out.is_error, out.content
    path = saved_path(out)
    assert path.suffix == ".mp3" and path.stat().st_size > 0 and str(path) in out.content
    assert out.media and out.media[0].mime_type == "audio/mpeg"
    sent = jobs(media.fake, "/v1/t2a_v2")[0].json
    assert sent["voice_setting"]["voice_id"] == "female-shaonv" and "emotion" not in sent["voice_setting"]
    assert "output_format" not in sent
    out = await media.call("text_to_audio", text="Sad news", emotion="sad", format="wav", speed=1.5)
    assert not out.is_error, out.content
    sent = jobs(media.fake, "/v1/t2a_v2")[1].json
    assert sent["voice_setting"]["emotion"] == "sad" and sent["audio_setting"]["format"] == "wav"
    assert saved_path(out).suffix == ".wav"


async def test_music_generation_saves_the_song(media: Media) -> None:
    out = await media.call("music_generation", prompt="indie folk, calm", lyrics="[Verse]\nla la la")
    assert not out.is_error, out.content
    assert saved_path(out).is_file() and out.artifacts[0]["kind"] == "audio"
    sent = jobs(media.fake, "/v1/music_generation")[0].json
    assert sent["model"] == "music-2.0" and sent["lyrics"].startswith("[Verse]")


async def test_list_voices_lists_ids_and_changes_nothing(media: Media) -> None:
    out = await media.call("list_voices")
    assert not out.is_error, out.content
    assert "female-shaonv" in out.content or "voices" in out.content.lower()
    assert jobs(media.fake, "/v1/get_voice")[0].json == {"voice_type": "all"}
    assert not media.media_dir.exists()


async def test_voice_clone_uploads_a_file_inside_the_roots(media: Media) -> None:
    sample = media.sandbox.root / "me.mp3"
    sample.write_bytes(b"ID3" + b"\x00" * 2048)
    out = await media.call("voice_clone", voice_id="MyVoice01", file="me.mp3", text="Hi, it is me.")
    assert not out.is_error, out.content
    assert "MyVoice01" in out.content
    upload = jobs(media.fake, "/v1/files/upload")[0]
    assert upload.form.get("purpose") == "voice_clone" and upload.files
    clone = jobs(media.fake, "/v1/voice_clone")[0].json
    assert clone["voice_id"] == "MyVoice01" and clone["text"] == "Hi, it is me."


async def test_voice_clone_refuses_a_file_outside_the_roots_before_any_request(media: Media) -> None:
    outside = media.sandbox.outside / "voice.mp3"
    outside.write_bytes(b"ID3" + b"\x00" * 100)
    for raw in (str(outside), "../outside/voice.mp3", "link_out/voice.mp3"):
        out = await media.call("voice_clone", voice_id="MyVoice01", file=raw)
        assert out.is_error and "outside the allowed roots" in out.content, out.content
    assert not jobs(media.fake, "/v1/files/upload")


async def test_voice_clone_from_a_url_follows_the_download_rules(media: Media) -> None:
    out = await media.call(
        "voice_clone", voice_id="MyVoice02", file="http://example.com/sample.mp3", is_url=True
    )
    assert out.is_error and "only https" in out.content
    assert not jobs(media.fake, "/v1/files/upload")


async def test_voice_design_returns_the_voice_id_and_saves_the_preview(media: Media) -> None:
    out = await media.call("voice_design", prompt="a warm old storyteller", preview_text="Once upon a time")
    assert not out.is_error, out.content
    assert "voice_id" in out.content and saved_path(out).is_file()


async def test_generate_video_waits_and_saves_the_video(media: Media) -> None:
    out = await media.call("generate_video", prompt="a cat surfing", duration=6, resolution="1080P")
    assert not out.is_error, out.content
    path = saved_path(out)
    assert path.suffix == ".mp4" and path.is_file() and out.artifacts[0]["kind"] == "video"
    assert not out.media  # video is never inlined
    sent = jobs(media.fake, "/v1/video_generation")[0].json
    assert sent["model"] == "MiniMax-Hailuo-2.3" and sent["duration"] == 6 and sent["resolution"] == "1080P"


async def test_generate_video_sends_a_local_first_frame_inline(media: Media) -> None:
    (media.sandbox.root / "frame.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    out = await media.call("generate_video", prompt="zoom in", first_frame_image="frame.png", async_mode=True)
    assert not out.is_error, out.content
    sent = jobs(media.fake, "/v1/video_generation")[0].json
    assert sent["first_frame_image"].startswith("data:image/png;base64,")
    escape = await media.call("generate_video", prompt="x", first_frame_image="../outside/secret.txt")
    assert escape.is_error and "outside the allowed roots" in escape.content


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("text_to_image", {}, "prompt"),
        ("text_to_image", {"prompt": "x", "n": 10}, "n"),
        ("text_to_image", {"prompt": "x", "aspect_ratio": "5:4"}, "aspect_ratio"),
        ("generate_video", {"prompt": "x", "duration": 8}, "duration"),
        ("generate_video", {"prompt": "x", "resolution": "4K"}, "resolution"),
        ("generate_video", {"prompt": "x", "duration": 10, "resolution": "1080P"}, "1080P is available only"),
        ("query_video_generation", {}, "task_id"),
        ("text_to_audio", {"text": "x", "format": "ogg"}, "format"),
        ("text_to_audio", {"text": "x", "speed": 3}, "speed"),
        ("text_to_audio", {"text": "x", "vol": 0}, "vol"),
        ("text_to_audio", {"text": "x", "pitch": 13}, "pitch"),
        ("text_to_audio", {"text": "x", "emotion": "bored"}, "emotion"),
        ("text_to_audio", {"text": "x", "sample_rate": 12345}, "sample_rate"),
        ("text_to_audio", {"text": "x", "bitrate": 1}, "bitrate"),
        ("text_to_audio", {"text": "x", "channel": 3}, "channel"),
        ("text_to_audio", {}, "text"),
        ("list_voices", {"voice_type": "mine"}, "voice_type"),
        ("voice_clone", {"voice_id": "ab", "file": "a.mp3"}, "voice_id"),
        ("voice_clone", {"voice_id": "MyVoice01"}, "file"),
        ("voice_design", {"prompt": "x"}, "preview_text"),
        ("music_generation", {"prompt": "x"}, "lyrics"),
        ("text_to_image", {"prompt": "x", "colour": "red"}, "colour"),
    ],
)
async def test_bad_arguments_are_clear_errors_and_send_nothing(
    media: Media, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    out = await media.call(tool, **arguments)
    assert out.is_error and "invalid arguments" in out.content and expected in out.content, out.content
    assert not media.fake.requests


async def test_schemas_mark_the_official_required_parameters(media: Media) -> None:
    required = {t.spec.name: set(t.spec.input_schema.get("required", [])) for t in media.toolset.tools}
    assert required["text_to_image"] == {"prompt"}
    assert required["generate_video"] == {"prompt"}
    assert required["query_video_generation"] == {"task_id"}
    assert required["text_to_audio"] == {"text"}
    assert required["list_voices"] == set()
    assert required["voice_clone"] == {"voice_id", "file"}
    assert required["voice_design"] == {"prompt", "preview_text"}
    assert required["music_generation"] == {"prompt", "lyrics"}


OFFICIAL_PROPERTIES = {
    "text_to_audio": [
        "text", "output_directory", "voice_id", "model", "speed", "vol", "pitch", "emotion", "sample_rate",
        "bitrate", "channel", "format", "language_boost",
    ],
    "list_voices": ["voice_type"],
    "voice_clone": ["voice_id", "file", "text", "output_directory", "is_url"],
    "generate_video": [
        "model", "prompt", "first_frame_image", "duration", "resolution", "output_directory", "async_mode",
    ],
    "query_video_generation": ["task_id", "output_directory"],
    "text_to_image": ["model", "prompt", "aspect_ratio", "n", "prompt_optimizer", "output_directory"],
    "voice_design": ["prompt", "preview_text", "voice_id", "output_directory"],
}  # fmt: skip


def test_parameter_names_match_the_official_server(media: Media) -> None:
    for name, properties in OFFICIAL_PROPERTIES.items():
        ours = list(media.toolset.named(name).spec.input_schema["properties"])
        assert ours == properties, name


# -- where files go ------------------------------------------------------------------------------------


async def test_output_directory_inside_the_roots_is_created_and_used(media: Media) -> None:
    out = await media.call("text_to_image", prompt="x", output_directory="art/new")
    assert not out.is_error, out.content
    assert saved_path(out).parent == media.sandbox.root / "art" / "new"


@pytest.mark.parametrize(
    "escape", ["../x", "/tmp/m2bridge-media-escape", "link_out", "link_out/deeper", "~/x"]
)
async def test_output_directory_outside_the_roots_is_refused_before_paying(media: Media, escape: str) -> None:
    before = media.sandbox.outside_snapshot()
    out = await media.call("text_to_image", prompt="x", output_directory=escape)
    assert out.is_error, out.content
    assert not media.fake.requests, "refused only after the paid call"
    assert media.sandbox.outside_snapshot() == before
    assert not Path("/tmp/m2bridge-media-escape").exists()
    assert not (media.sandbox.base / "x").exists()


async def test_minimax_mcp_base_path_is_honoured_and_bounded(media: Media) -> None:
    media.reopen(MINIMAX_MCP_BASE_PATH=str(media.sandbox.root / "generated"))
    out = await media.call("text_to_audio", text="hi")
    assert not out.is_error, out.content
    assert saved_path(out).parent == media.sandbox.root / "generated"
    # Relative output_directory is relative to the base path, as with MiniMax's own server.
    out = await media.call("text_to_audio", text="hi", output_directory="sub")
    assert saved_path(out).parent == media.sandbox.root / "generated" / "sub"
    media.reopen(MINIMAX_MCP_BASE_PATH=str(media.sandbox.outside))
    out = await media.call("text_to_audio", text="hi")
    assert out.is_error and "MINIMAX_MCP_BASE_PATH" in out.content


async def test_url_resource_mode_downloads_and_writes_nothing(media: Media) -> None:
    media.reopen(MINIMAX_API_RESOURCE_MODE="url")
    image = await media.call("text_to_image", prompt="x")
    audio = await media.call("text_to_audio", text="hi")
    video = await media.call("generate_video", prompt="x")
    for out in (image, audio, video):
        assert not out.is_error, out.content
        assert out.artifacts and all(a["path"] == "" and a["url"].startswith("http") for a in out.artifacts)
        assert out.artifacts[0]["url"] in out.content
    assert jobs(media.fake, "/v1/t2a_v2")[0].json["output_format"] == "url"
    assert not media.fake.downloads
    assert not media.media_dir.exists() or not any(media.media_dir.iterdir())


async def test_file_names_are_unique_and_safe(media: Media) -> None:
    out = await media.call("text_to_image", prompt="../../etc/passwd; rm -rf /", n=3)
    names = [saved_path(out, i).name for i in range(3)]
    assert len(set(names)) == 3
    for name in names:
        assert "/" not in name and "passwd" not in name and name.startswith("image-")


# -- keys ----------------------------------------------------------------------------------------------


async def test_without_a_key_each_media_tool_says_how_to_set_it(media: Media) -> None:
    media.reopen(MINIMAX_API_KEY="")
    for name, arguments in (
        ("text_to_image", {"prompt": "x"}),
        ("generate_video", {"prompt": "x"}),
        ("query_video_generation", {"task_id": "1"}),
        ("text_to_audio", {"text": "x"}),
        ("list_voices", {}),
        ("voice_design", {"prompt": "x", "preview_text": "y"}),
        ("music_generation", {"prompt": "x", "lyrics": "y"}),
    ):
        out = await media.call(name, **arguments)
        assert out.is_error and "MINIMAX_API_KEY" in out.content, (name, out.content)
    assert not media.fake.requests
    assert not (await media.call("list_dir", path=".")).is_error


async def test_the_key_is_sent_only_as_a_bearer_header_and_never_to_downloads(media: Media) -> None:
    await media.call("text_to_image", prompt="x")
    api = jobs(media.fake, "/v1/image_generation")[0]
    assert {k.lower(): v for k, v in api.headers.items()}["authorization"] == f"Bearer {KEY}"
    for request in media.fake.requests:
        if request.path.startswith("/files/"):
            assert KEY not in repr(request.headers)


# -- read-only and the real MCP client ------------------------------------------------------------------


async def test_read_only_keeps_only_list_voices_and_a_url_only_query(media: Media) -> None:
    toolset = open_toolset(media.options(read_only=True), media_env(media.fake, media.sandbox))
    names = {tool.spec.name for tool in toolset.tools}
    assert {"list_voices", "query_video_generation"} <= names
    assert not names & {"text_to_image", "generate_video", "text_to_audio", "voice_clone", "voice_design"}
    assert "music_generation" not in names
    assert toolset.named("query_video_generation").spec.read_only


async def test_every_tool_through_a_real_mcp_client(media: Media) -> None:
    (media.sandbox.root / "me.wav").write_bytes(b"RIFF" + b"\x00" * 512)
    calls = {
        "text_to_image": {"prompt": "a lighthouse"},
        "text_to_audio": {"text": "hello"},
        "list_voices": {"voice_type": "system"},
        "voice_clone": {"voice_id": "CloneVoice9", "file": "me.wav"},
        "voice_design": {"prompt": "a deep voice", "preview_text": "hello"},
        "music_generation": {"prompt": "jazz", "lyrics": "[Verse]\nhey"},
        "generate_video": {"prompt": "waves", "async_mode": True},
    }
    async with Client(build_server(media.toolset.tools, media.toolset.context)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert set(calls) | {"query_video_generation"} <= listed
        texts: list[str] = []
        for name, arguments in calls.items():
            result = await client.call_tool(name, arguments)
            text = "\n".join(getattr(block, "text", "") for block in result.content)
            texts.append(text + repr(result.content))
            assert not result.is_error, (name, text)
        image = await client.call_tool("text_to_image", {"prompt": "x"})
        assert any(block.type == "image" for block in image.content)
        speech = await client.call_tool("text_to_audio", {"text": "x"})
        assert any(block.type == "audio" for block in speech.content)
        task_id = texts[-1].split("task_id ")[1].split(".")[0].strip()
        queried = await client.call_tool("query_video_generation", {"task_id": task_id})
        for _ in range(20):  # the fake is ready after a set number of polls
            if "still" not in queried.content[0].text:  # type: ignore[union-attr]
                break
            queried = await client.call_tool("query_video_generation", {"task_id": task_id})
        assert not queried.is_error and "saved to" in queried.content[0].text  # type: ignore[union-attr]
        bad = await client.call_tool("text_to_image", {"prompt": "x", "n": 0})
        assert bad.is_error
    assert_no_key(texts, *media.saved_files())
    assert all(KEY not in os.fsdecode(p) for p in media.saved_files())


FAILING_PATHS = {
    "text_to_image": ("/v1/image_generation", {"prompt": "x"}),
    "text_to_audio": ("/v1/t2a_v2", {"text": "x"}),
    "list_voices": ("/v1/get_voice", {}),
    "voice_clone": ("/v1/files/upload", {"voice_id": "CloneVoice9", "file": "me.wav"}),
    "voice_design": ("/v1/voice_design", {"prompt": "deep", "preview_text": "hi"}),
    "music_generation": ("/v1/music_generation", {"prompt": "jazz", "lyrics": "la"}),
    "generate_video": ("/v1/video_generation", {"prompt": "waves"}),
    "query_video_generation": ("/v1/query/video_generation", {"task_id": "123"}),
}


async def test_every_tool_reports_an_api_failure_as_an_mcp_error_through_a_real_client(media: Media) -> None:
    (media.sandbox.root / "me.wav").write_bytes(b"RIFF" + b"\x00" * 512)
    before = set(media.saved_files())
    async with Client(build_server(media.toolset.tools, media.toolset.context)) as client:
        for name, (path, arguments) in FAILING_PATHS.items():
            media.fake.fault(path, MediaFault.api_error(1008, "insufficient balance"))
            result = await client.call_tool(name, arguments)
            text = "\n".join(getattr(block, "text", "") for block in result.content)
            assert result.is_error and "balance" in text, (name, text)
    assert set(media.saved_files()) == before
