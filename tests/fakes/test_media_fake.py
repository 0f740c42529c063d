"""The fake MiniMax media API, over real HTTP: shapes, validation, auth, video jobs, faults, downloads."""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.media import FakeMedia, MediaFault, MediaRequest, fixture

fake_media = fixture.fake_media  # the fixture under test (tests/conftest.py may import it too)
KEY = {"Authorization": "Bearer test-key"}
IMAGE = {
    "model": "image-01",
    "prompt": "a lighthouse",
    "aspect_ratio": "16:9",
    "n": 2,
    "prompt_optimizer": True,
}
SPEECH = {
    "model": "speech-2.6-hd",
    "text": "Hello from the fake.",
    "stream": False,
    "voice_setting": {"voice_id": "female-shaonv", "speed": 1.0, "vol": 1.0, "pitch": 0, "emotion": "happy"},
    "audio_setting": {"sample_rate": 32000, "bitrate": 128000, "format": "mp3", "channel": 1},
    "language_boost": "auto",
}
VIDEO = {"model": "MiniMax-Hailuo-2.3", "prompt": "waves at dusk", "duration": 6, "resolution": "1080P"}
MUSIC = {
    "model": "music-2.0",
    "prompt": "calm piano",
    "lyrics": "[verse]\nla la la",
    "stream": False,
    "audio_setting": {"sample_rate": 44100, "bitrate": 256000, "format": "mp3"},
}


@pytest.fixture
def http(fake_media: FakeMedia) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_media.host, headers=KEY, timeout=5) as client:
        yield client


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}, body
    assert response.headers["trace-id"]
    return body


def error(response: httpx.Response) -> tuple[int, str]:
    base = response.json()["base_resp"]
    return base["status_code"], base["status_msg"]


def download(url: str, **kwargs: Any) -> httpx.Response:
    response = httpx.get(url, timeout=5, **kwargs)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    return response


def jpeg_size(data: bytes) -> tuple[int, int]:
    at = data.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", data[at + 5 : at + 9])
    return width, height


def make_video(http: httpx.Client, **fields: Any) -> str:
    return ok(http.post("/v1/video_generation", json={**VIDEO, **fields}))["task_id"]


def poll(http: httpx.Client, task_id: str) -> dict[str, Any]:
    return http.get("/v1/query/video_generation", params={"task_id": task_id}).json()


def upload(http: httpx.Client, name: str = "sample.mp3") -> int:
    files = {"file": (name, b"\xff\xfb\x90\xc4" + bytes(2000), "audio/mpeg")}
    return ok(http.post("/v1/files/upload", data={"purpose": "voice_clone"}, files=files))["file"]["file_id"]


# --- success shapes ------------------------------------------------------------------------------


def test_image_generation_returns_downloadable_jpegs(fake_media: FakeMedia, http: httpx.Client) -> None:
    body = ok(http.post("/v1/image_generation", json=IMAGE))
    urls = body["data"]["image_urls"]
    assert len(urls) == 2 and body["id"] and body["metadata"]["success_count"] == "2"
    for url in urls:
        assert url.startswith(fake_media.host + "/files/")
        image = download(url)
        assert image.headers["content-type"] == "image/jpeg"
        assert image.content.startswith(b"\xff\xd8\xff") and image.content.endswith(b"\xff\xd9")
        assert jpeg_size(image.content) == (1280, 720)
    assert fake_media.downloads == [url.removeprefix(fake_media.host) for url in urls]
    request = fake_media.requests[0]
    assert isinstance(request, MediaRequest) and request.json == IMAGE
    assert request.headers["authorization"] == "Bearer test-key"
    wait_for(lambda: [(j.kind, j.answered) for j in fake_media.jobs] == [("image", True)])


def test_image_generation_base64(http: httpx.Client) -> None:
    body = ok(http.post("/v1/image_generation", json={**IMAGE, "n": 1, "response_format": "base64"}))
    assert len(body["data"]["image_base64"]) == 1 and body["data"]["image_base64"][0].startswith("/9j/")


def test_speech_hex_and_url(fake_media: FakeMedia, http: httpx.Client) -> None:
    body = ok(http.post("/v1/t2a_v2", json=SPEECH))
    audio = bytes.fromhex(body["data"]["audio"])
    assert audio.startswith(b"\xff\xfb") and body["data"]["status"] == 2 and body["trace_id"]
    extra = body["extra_info"]
    assert extra["audio_format"] == "mp3" and extra["audio_size"] == len(audio) and extra["audio_length"] > 0
    wav = ok(
        http.post(
            "/v1/t2a_v2", json={**SPEECH, "audio_setting": {**SPEECH["audio_setting"], "format": "wav"}}
        )
    )
    assert bytes.fromhex(wav["data"]["audio"])[:4] == b"RIFF"
    again = ok(http.post("/v1/t2a_v2", json=SPEECH))
    assert again["data"]["audio"] == body["data"]["audio"]  # deterministic
    url = ok(http.post("/v1/t2a_v2", json={**SPEECH, "output_format": "url"}))["data"]["audio"]
    fetched = download(url)
    assert fetched.headers["content-type"] == "audio/mpeg" and fetched.content == audio


def test_list_voices_by_type(http: httpx.Client) -> None:
    everything = ok(http.post("/v1/get_voice", json={"voice_type": "all"}))
    assert {"system_voice", "voice_cloning", "voice_generation"} <= everything.keys()
    assert all({"voice_id", "voice_name", "description"} <= v.keys() for v in everything["system_voice"])
    system = ok(http.post("/v1/get_voice", json={"voice_type": "system"}))
    assert "system_voice" in system and "voice_cloning" not in system
    assert error(http.post("/v1/get_voice", json={"voice_type": "mine"}))[0] == 2013


def test_upload_then_clone_then_listed(fake_media: FakeMedia, http: httpx.Client) -> None:
    file_id = upload(http)
    assert isinstance(file_id, int)
    sent = fake_media.requests[-1]
    assert sent.form == {"purpose": "voice_clone"} and sent.files["file"][0] == "sample.mp3"
    assert sent.files["file"][2] == "audio/mpeg" and len(sent.files["file"][1]) == 2004
    quiet = ok(http.post("/v1/voice_clone", json={"file_id": file_id, "voice_id": "MyVoice001"}))
    assert quiet["demo_audio"] == "" and quiet["input_sensitive"] is False
    demo = ok(
        http.post(
            "/v1/voice_clone",
            json={"file_id": file_id, "voice_id": "MyVoice002", "text": "hi", "model": "speech-2.6-hd"},
        )
    )
    assert download(demo["demo_audio"]).headers["content-type"] == "audio/mpeg"
    cloned = ok(http.post("/v1/get_voice", json={"voice_type": "voice_cloning"}))["voice_cloning"]
    assert [v["voice_id"] for v in cloned] == ["MyVoice001", "MyVoice002"]
    duplicate = http.post("/v1/voice_clone", json={"file_id": file_id, "voice_id": "MyVoice001"})
    assert error(duplicate)[0] == 2039
    unknown = http.post("/v1/voice_clone", json={"file_id": 12345, "voice_id": "MyVoice003"})
    assert error(unknown)[0] == 2013


def test_voice_design(http: httpx.Client) -> None:
    body = ok(http.post("/v1/voice_design", json={"prompt": "a warm narrator", "preview_text": "Once upon"}))
    assert body["voice_id"] and bytes.fromhex(body["trial_audio"]).startswith(b"\xff\xfb")
    named = ok(
        http.post("/v1/voice_design", json={"prompt": "p", "preview_text": "t", "voice_id": "Narrator_01"})
    )
    assert named["voice_id"] == "Narrator_01"
    designed = ok(http.post("/v1/get_voice", json={"voice_type": "voice_generation"}))["voice_generation"]
    assert [v["voice_id"] for v in designed] == [body["voice_id"], "Narrator_01"]


def test_music_hex_and_url(http: httpx.Client) -> None:
    body = ok(http.post("/v1/music_generation", json=MUSIC))
    assert bytes.fromhex(body["data"]["audio"]).startswith(b"\xff\xfb") and body["data"]["status"] == 2
    assert body["extra_info"]["music_sample_rate"] == 44100
    url = ok(http.post("/v1/music_generation", json={**MUSIC, "output_format": "url"}))["data"]["audio"]
    assert download(url).headers["content-type"] == "audio/mpeg"


# --- video jobs ----------------------------------------------------------------------------------


def test_video_processing_then_success_then_download(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.video_polls = 3
    fake_media.video_pending_statuses = ("Queueing", "Processing")
    task_id = make_video(http)
    assert task_id.isdigit()
    assert [poll(http, task_id)["status"] for _ in range(2)] == ["Queueing", "Processing"]
    done = poll(http, task_id)
    assert done["status"] == "Success" and done["file_id"].isdigit()
    assert (done["video_width"], done["video_height"]) == (1920, 1080)
    assert poll(http, task_id)["file_id"] == done["file_id"]  # later polls stay Success
    assert fake_media.poll_count(task_id) == 4
    file = ok(http.get("/v1/files/retrieve", params={"file_id": done["file_id"]}))["file"]
    assert file["file_id"] == int(done["file_id"]) and file["purpose"] == "video_generation"
    video = download(file["download_url"])
    assert video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"
    assert file["bytes"] == len(video.content)


@pytest.mark.parametrize("code", [0, 1027])
def test_video_fail(fake_media: FakeMedia, http: httpx.Client, code: int) -> None:
    fake_media.video_polls, fake_media.video_fails, fake_media.video_fail_code = 2, True, code
    task_id = make_video(http)
    assert poll(http, task_id)["status"] == "Processing"
    failed = poll(http, task_id)
    assert failed["status"] == "Fail" and failed["base_resp"]["status_code"] == code
    assert failed.get("error_message") if code == 0 else failed["base_resp"]["status_msg"]


def test_video_unknown_task_and_file(http: httpx.Client) -> None:
    assert error(http.get("/v1/query/video_generation", params={"task_id": "999"}))[0] == 2013
    assert error(http.get("/v1/files/retrieve", params={"file_id": "999"}))[0] == 2013


async def test_twenty_videos_polled_concurrently(fake_media: FakeMedia) -> None:
    fake_media.video_polls = 3

    async def one(client: httpx.AsyncClient, i: int) -> tuple[str, str]:
        created = await client.post("/v1/video_generation", json={**VIDEO, "prompt": f"scene {i}"})
        task_id = created.json()["task_id"]
        while True:
            status = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
            if status["status"] == "Success":
                return task_id, status["file_id"]
            await asyncio.sleep(0.01)

    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=fake_media.host, headers=KEY, limits=limits) as client:
        results = await asyncio.gather(*(one(client, i) for i in range(20)))
    assert len({t for t, _ in results}) == len({f for _, f in results}) == 20
    assert all(fake_media.poll_count(t) == 3 for t, _ in results)
    assert len(fake_media.jobs_of("video")) == 20


# --- validation and auth -------------------------------------------------------------------------

INVALID = [
    ("/v1/image_generation", {**IMAGE, "aspect_ratio": "5:4"}, "aspect_ratio"),
    ("/v1/image_generation", {**IMAGE, "n": 0}, "n must"),
    ("/v1/image_generation", {**IMAGE, "n": 10}, "n must"),
    ("/v1/image_generation", {**IMAGE, "prompt": " "}, "prompt"),
    ("/v1/image_generation", {"model": "image-01"}, "prompt is required"),
    ("/v1/video_generation", {**VIDEO, "duration": 7}, "duration"),
    ("/v1/video_generation", {**VIDEO, "resolution": "4K"}, "resolution"),
    ("/v1/video_generation", {**VIDEO, "duration": 10}, "1080P"),
    ("/v1/video_generation", {**VIDEO, "model": "Sora"}, "model"),
    ("/v1/t2a_v2", {**SPEECH, "text": ""}, "text"),
    ("/v1/t2a_v2", {**SPEECH, "voice_setting": {"voice_id": "x", "speed": 3}}, "speed"),
    ("/v1/music_generation", {k: v for k, v in MUSIC.items() if k != "lyrics"}, "lyrics is required"),
    ("/v1/voice_design", {"prompt": "p"}, "preview_text"),
]


@pytest.mark.parametrize(("path", "body", "mentions"), INVALID)
def test_invalid_params_answer_2013(
    fake_media: FakeMedia,
    http: httpx.Client,
    path: str,
    body: dict[str, Any],
    mentions: str,
) -> None:
    response = http.post(path, json=body)
    assert response.status_code == 200
    code, message = error(response)
    assert code == 2013 and message.startswith("invalid params, ") and mentions in message
    assert fake_media.jobs == []


@pytest.mark.parametrize("voice_id", ["short1", "1abcdefgh", "has space1", "ends_with_", "ok-but-é-bad"])
def test_voice_clone_rejects_bad_voice_ids(http: httpx.Client, voice_id: str) -> None:
    file_id = upload(http)
    response = http.post("/v1/voice_clone", json={"file_id": file_id, "voice_id": voice_id})
    assert error(response)[0] == 2013 and "voice_id" in error(response)[1]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-key"}])
def test_bad_key_answers_1004_with_http_200(fake_media: FakeMedia, headers: dict[str, str]) -> None:
    response = httpx.post(fake_media.host + "/v1/image_generation", json=IMAGE, headers=headers)
    assert response.status_code == 200 and error(response)[0] == 1004
    assert fake_media.jobs == [] and fake_media.violations == []


def test_malformed_requests_are_violations() -> None:
    with FakeMedia() as fake, httpx.Client(base_url=fake.host, headers=KEY) as http:
        assert http.get("/v1/nope").status_code == 404
        assert http.get("/v1/image_generation").status_code == 405
        not_json = http.post(
            "/v1/image_generation", content=b"{oops", headers={"content-type": "application/json"}
        )
        assert error(not_json)[0] == 2013
        assert error(http.post("/v1/image_generation", data={"prompt": "x"}))[0] == 2013
        assert error(http.post("/v1/files/upload", json={"purpose": "voice_clone"}))[0] == 2013
        assert error(http.get("/v1/query/video_generation"))[0] == 2013
        assert http.get("/files/never-made.jpeg").status_code == 404
        ok(http.post("/v1/image_generation", json={**IMAGE, "aspect-ratio": "1:1"}))  # served, but flagged
        ok(http.post("/v1/t2a_v2", json={**SPEECH, "audio_setting": {"format": "mp3", "rate": 1}}))
    found = "\n".join(fake.violations)
    for expected in [
        "no such endpoint",
        "takes POST",
        "not JSON",
        "must be application/json",
        "multipart/form-data",
        "task_id is missing",
        "no such file",
        "'aspect-ratio'",
        "'audio_setting.rate'",
    ]:
        assert expected in found
    assert len(fake.violations) == 9


# --- faults --------------------------------------------------------------------------------------


def test_api_error_fault_is_consumed_once(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault(
        "/v1/image_generation",
        MediaFault.api_error(1002, "rate limit"),
        MediaFault.api_error(1008, "insufficient balance", http_status=402),
    )
    first = http.post("/v1/image_generation", json=IMAGE)
    assert first.status_code == 200 and error(first) == (1002, "rate limit")
    second = http.post("/v1/image_generation", json=IMAGE)
    assert second.status_code == 402 and error(second) == (1008, "insufficient balance")
    ok(http.post("/v1/image_generation", json=IMAGE))
    assert len(fake_media.jobs) == 1 and fake_media.pending_faults() == 0
    with pytest.raises(ValueError, match="not an endpoint"):
        fake_media.fault("/v1/imagegen", MediaFault.http(500))


def test_http_faults(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault("/v1/query/video_generation", MediaFault.http(429, retry_after=2), MediaFault.http(500))
    task_id = make_video(http)
    limited = http.get("/v1/query/video_generation", params={"task_id": task_id})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert error(limited)[0] == 1002
    assert http.get("/v1/query/video_generation", params={"task_id": task_id}).status_code == 500
    assert fake_media.poll_count(task_id) == 0  # faulted polls never reached the task


def wait_for(condition: Any, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_timeout_fault_still_creates_the_job(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault("/v1/video_generation", MediaFault.timeout(5))
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/video_generation", json=VIDEO, timeout=0.3)
    (job,) = fake_media.jobs
    assert job.kind == "video" and job.path == "/v1/video_generation"
    wait_for(lambda: job.answered is False)  # the paid job exists though the client never heard of it
    assert poll(http, job.id)["status"] == "Processing"


def test_timeout_fault_shorter_than_client_timeout_answers(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault("/v1/image_generation", MediaFault.timeout(0.2))
    started = time.monotonic()
    ok(http.post("/v1/image_generation", json=IMAGE))
    assert time.monotonic() - started >= 0.2
    # The fake marks a job answered after the response went out: the client may read it first.
    wait_for(lambda: fake_media.jobs[0].answered is True)


def test_disconnect_faults(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault("/v1/music_generation", MediaFault.disconnect(), MediaFault.disconnect(mid_body=True))
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v1/music_generation", json=MUSIC)
    assert fake_media.jobs == []
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v1/music_generation", json=MUSIC)
    wait_for(lambda: [(j.kind, j.answered) for j in fake_media.jobs] == [("music", False)])
    ok(http.post("/v1/music_generation", json=MUSIC))


# --- download faults -----------------------------------------------------------------------------


def image_url(http: httpx.Client) -> str:
    return ok(http.post("/v1/image_generation", json={**IMAGE, "n": 1}))["data"]["image_urls"][0]


@pytest.mark.parametrize("mode", ["oversize", "oversize_chunked"])
def test_oversize_download_streams_lazily(fake_media: FakeMedia, http: httpx.Client, mode: str) -> None:
    fake_media.download_fault = mode
    url = image_url(http)
    with httpx.stream("GET", url, timeout=5) as response:
        assert response.headers["content-type"] == "image/jpeg"
        if mode == "oversize":
            assert int(response.headers["content-length"]) == 1 << 30
        else:
            assert "content-length" not in response.headers
        received = b""
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) > 2_000_000:  # a client's cap: stop reading, drop the connection
                break
    assert received.startswith(b"\xff\xd8")
    assert fake_media.downloads == [url.removeprefix(fake_media.host)]


def test_wrong_type_download(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.download_fault = "wrong_type"
    response = download(image_url(http))
    assert response.headers["content-type"].startswith("text/html") and b"<html>" in response.content


def test_non_https_download_urls(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.download_fault = "non_https"
    assert image_url(http).startswith("http://media.example.invalid/files/")
    task_id = make_video(http)
    for _ in range(3):
        file_id = poll(http, task_id)["file_id"]
    retrieved = ok(http.get("/v1/files/retrieve", params={"file_id": file_id}))
    assert retrieved["file"]["download_url"].startswith("http://media.example.invalid/files/")
    with pytest.raises(ValueError, match="download_fault"):
        fake_media.download_fault = "broken"  # type: ignore[assignment]


def test_slow_download_stalls_before_the_body(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.download_fault, fake_media.slow_seconds = "slow", 5
    url = image_url(http)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, timeout=httpx.Timeout(5, read=0.3))


def test_download_faults_by_path(fake_media: FakeMedia, http: httpx.Client) -> None:
    fake_media.fault("/files/", MediaFault.http(503), MediaFault.disconnect(mid_body=True))
    url = image_url(http)
    assert httpx.get(url).status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)
    assert download(url).content.startswith(b"\xff\xd8")


# --- the official MiniMax MCP server against the fake --------------------------------------------

PEER_PYTHON = Path(__file__).resolve().parents[2] / "bench/.peers/venv/bin/python"
PEER_SCRIPT = """
import sys
from pathlib import Path
from minimax_mcp import server

out = Path(sys.argv[1])
(out / "sample.mp3").write_bytes(bytes.fromhex("fffb90c4") + bytes(3000))
calls = [
    ("text_to_image", {"prompt": "a cat", "n": 2}),
    ("text_to_audio", {"text": "hello there"}),
    ("list_voices", {}),
    ("voice_clone", {"voice_id": "PeerVoice01", "file": str(out / "sample.mp3"), "text": "demo"}),
    ("voice_design", {"prompt": "warm narrator", "preview_text": "hello"}),
    ("generate_video", {"prompt": "waves"}),
]
for name, args in calls:
    if name != "list_voices":
        args["output_directory"] = str(out)
    print(name, "->", getattr(server, name)(**args).text)
"""


@pytest.mark.skipif(not PEER_PYTHON.exists(), reason="the official MiniMax MCP server is not installed")
def test_official_mcp_server_works_against_the_fake(fake_media: FakeMedia, tmp_path: Path) -> None:
    fake_media.video_polls = 1  # the official server sleeps 20 s between polls
    env = {
        **os.environ,
        "MINIMAX_API_KEY": "test-key",
        "MINIMAX_API_HOST": fake_media.host,
        "MINIMAX_API_RESOURCE_MODE": "local",
        "MINIMAX_MCP_BASE_PATH": str(tmp_path),
    }
    run = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 6 and all(
        " -> Success" in line or "cloned successfully" in line for line in lines
    ), lines
    saved = sorted(p.suffix for p in tmp_path.iterdir())
    assert saved == [".jpg", ".jpg", ".mp3", ".mp3", ".mp3", ".mp4", ".wav"]
    assert len(fake_media.downloads) == 4
