"""The media endpoints' logic: validate like MiniMax, create the job, answer MiniMax's JSON shape."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from tests.fakes.media import content, params
from tests.fakes.media.params import ClientBug, InvalidParams
from tests.fakes.media.records import MediaJob
from tests.fakes.media.store import CREATED_AT, FileRecord, VideoTask

if TYPE_CHECKING:
    from tests.fakes.media.fake import FakeMedia

VOICE_ID_DUPLICATE = 2039
UPLOAD_LIMIT = 20 * 1024 * 1024

IMAGE_MODELS = frozenset({"image-01", "image-01-live"})
SPEECH_MODELS = frozenset(
    f"speech-{v}-{k}" for v in ("2.8", "2.6", "02", "01") for k in ("hd", "turbo")
) | frozenset({"speech-01-240228", "speech-01-turbo-240228"})
VIDEO_MODELS = frozenset(
    {
        "MiniMax-Hailuo-2.3",
        "MiniMax-Hailuo-2.3-Fast",
        "MiniMax-Hailuo-02",
        "T2V-01",
        "T2V-01-Director",
        "I2V-01",
        "I2V-01-Director",
        "I2V-01-live",
        "S2V-01",
    }
)
MUSIC_MODELS = frozenset({"music-2.0", "music-1.5", "music-2.5"})
EMOTIONS = frozenset(
    ["happy", "sad", "angry", "fearful", "disgusted", "surprised", "calm", "fluent", "whisper", "neutral"]
)
SPEECH_RATES = frozenset({8000, 16000, 22050, 24000, 32000, 44100})
MUSIC_RATES = frozenset({16000, 24000, 32000, 44100})
BITRATES = frozenset({32000, 64000, 128000, 256000})
VOICE_TYPES = ("system", "voice_cloning", "voice_generation")
SYSTEM_VOICES = [
    ("female-shaonv", "少女", "Youthful, bright female voice"),
    ("male-qn-qingse", "青涩青年", "Young male voice"),
    ("audiobook_female_1", "有声书女1", "Narrating female voice"),
    ("cute_boy", "可爱男童", "Cute boy"),
    ("Charming_Lady", "魅力女声", "Charming lady"),
    ("English_Graceful_Lady", "Graceful Lady", "Elegant, composed English female voice"),
    ("English_expressive_narrator", "Expressive Narrator", "Expressive English narrator"),
    ("Wise_Woman", "Wise Woman", "Calm, wise female voice"),
    ("Deep_Voice_Man", "Deep Voice Man", "Deep male voice"),
    ("Friendly_Person", "Friendly Person", "Warm, friendly voice"),
]


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    job: MediaJob | None = None


Handler = Callable[["FakeMedia", Call], Answer]


def ok(**fields: Any) -> dict[str, Any]:
    return {**fields, "base_resp": {"status_code": 0, "status_msg": "success"}}


def _audio_settings(settings: dict[str, Any], rates: frozenset[int], formats: tuple[str, ...]) -> tuple:
    rate = params.choice(settings, "sample_rate", rates, 32000)
    bitrate = params.choice(settings, "bitrate", BITRATES, 128000)
    fmt = params.choice(settings, "format", formats, "mp3")
    channel = params.choice(settings, "channel", (1, 2), 1)
    return rate, bitrate, fmt, channel


def _store_audio(fake: FakeMedia, stem: str, fmt: str, ms: int, rate: int, channel: int) -> tuple[str, bytes]:
    """Store an audio file; its name (for a URL) and bytes (for hex)."""
    data = content.audio(fmt, ms, rate, channel)
    name = f"{stem}.{fmt}"
    fake.store.put_file(name, content.CONTENT_TYPES[fmt], data)
    return name, data


# --- image ------------------------------------------------------------------------------------


def image_generation(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    params.choice(body, "model", IMAGE_MODELS, "image-01")
    params.text(body, "prompt", required=True, limit=1500)
    ratio = params.choice(body, "aspect_ratio", content.IMAGE_SIZES, "1:1")
    count = params.integer(body, "n", 1, 9, 1)
    params.flag(body, "prompt_optimizer", False)
    response_format = params.choice(body, "response_format", ("url", "base64"), "url")
    serial = fake.store.next()
    image = content.jpeg(*content.IMAGE_SIZES[ratio])
    job = MediaJob("image", f"{serial:032x}", call.path)
    if response_format == "base64":
        data: dict[str, Any] = {"image_base64": [base64.b64encode(image).decode()] * count}
    else:
        names = [f"image-{serial}-{i}.jpeg" for i in range(count)]
        for name in names:
            fake.store.put_file(name, content.CONTENT_TYPES["jpeg"], image)
        data = {"image_urls": [fake.url_for(name) for name in names]}
    metadata = {"failed_count": "0", "success_count": str(count)}
    return Answer(ok(id=job.id, data=data, metadata=metadata), job)


# --- speech -----------------------------------------------------------------------------------


def _duration_ms(text: str) -> int:
    return min(500, 100 + 10 * len(text))


def t2a_v2(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    params.no_stream(body)
    model = params.choice(body, "model", SPEECH_MODELS, None)
    text = params.text(body, "text", required=True, limit=10000) or ""
    voice = params.section(body, "voice_setting", required="timbre_weights" not in body)
    if voice:
        params.text(voice, "voice_id", required=True)
        params.number(voice, "speed", 0.5, 2.0, 1.0)
        params.number(voice, "vol", 0.01, 10.0, 1.0)
        params.integer(voice, "pitch", -12, 12, 0)
        if "emotion" in voice:
            params.choice(voice, "emotion", EMOTIONS, None)
    settings = params.section(body, "audio_setting")
    rate, bitrate, fmt, channel = _audio_settings(settings, SPEECH_RATES, ("mp3", "pcm", "flac", "wav"))
    params.text(body, "language_boost", required=False)
    output = params.choice(body, "output_format", ("hex", "url"), "hex")
    serial = fake.store.next()
    ms = _duration_ms(text)
    name, data = _store_audio(fake, f"speech-{serial}", fmt, ms, rate, channel)
    extra = {
        "audio_length": ms,
        "audio_sample_rate": rate,
        "audio_size": len(data),
        "bitrate": bitrate,
        "word_count": len(text.split()),
        "invisible_character_ratio": 0,
        "usage_characters": len(text),
        "audio_format": fmt,
        "audio_channel": channel,
        "model": model,
    }
    audio = fake.url_for(name) if output == "url" else data.hex()
    trace = uuid.uuid4().hex
    answer = ok(data={"audio": audio, "status": 2, "subtitle_file": ""}, extra_info=extra, trace_id=trace)
    return Answer(answer, MediaJob("speech", trace, call.path))


def get_voice(fake: FakeMedia, call: Call) -> Answer:
    kind = params.choice(call.body, "voice_type", ("all", *VOICE_TYPES), None)
    lists = {
        "system": [
            {"voice_id": v, "voice_name": n, "description": [d], "created_time": "1970-01-01"}
            for v, n, d in SYSTEM_VOICES
        ],
        "voice_cloning": fake.store.voices("voice_cloning"),
        "voice_generation": fake.store.voices("voice_generation"),
    }
    wanted = VOICE_TYPES if kind == "all" else (kind,)
    fields = {("system_voice" if k == "system" else k): lists[k] for k in wanted}
    return Answer(ok(**fields))


def files_upload(fake: FakeMedia, call: Call) -> Answer:
    purpose = call.form.get("purpose")
    if purpose is None:
        raise InvalidParams("purpose is required")
    if purpose not in ("voice_clone", "prompt_audio"):
        raise InvalidParams(f"purpose must be voice_clone or prompt_audio, got {purpose!r}")
    if "file" not in call.files:
        raise ClientBug("multipart field `file` (the audio file) is missing")
    filename, data, _ = call.files["file"]
    if PurePosixPath(filename).suffix.lower() not in (".mp3", ".m4a", ".wav"):
        raise InvalidParams(f"file must be mp3, m4a or wav, got {filename!r}")
    if not data or len(data) > UPLOAD_LIMIT:
        raise InvalidParams(f"file must be 1 byte to 20 MB, got {len(data)} bytes")
    file_id = fake.store.new_file_id()
    fake.store.add_record(FileRecord(file_id, filename, purpose, len(data), None))
    file = {
        "file_id": file_id,
        "bytes": len(data),
        "created_at": CREATED_AT,
        "filename": filename,
        "purpose": purpose,
    }
    return Answer(ok(file=file), MediaJob("upload", str(file_id), call.path))


def _new_voice_id(fake: FakeMedia, value: Any) -> str:
    chosen = params.voice_id(value)
    if fake.store.voice_taken(chosen):
        raise InvalidParams(f"voice id duplicate: {chosen!r}", VOICE_ID_DUPLICATE)
    return chosen


def voice_clone(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    file_id = body.get("file_id")
    if file_id is None:
        raise InvalidParams("file_id is required")
    if not isinstance(file_id, int) or isinstance(file_id, bool):
        raise InvalidParams(f"file_id must be an integer, got {file_id!r}")
    record = fake.store.record(file_id)
    if record is None or record.purpose != "voice_clone":
        raise InvalidParams(f"file_id {file_id} is not a file uploaded with purpose voice_clone")
    if "voice_id" not in body:
        raise InvalidParams("voice_id is required")
    chosen = _new_voice_id(fake, body["voice_id"])
    text = params.text(body, "text", required=False, limit=1000)
    demo = ""
    if text:
        if body.get("model") is None:
            raise InvalidParams("model is required when text is given")
        params.choice(body, "model", SPEECH_MODELS, None)
        name, _ = _store_audio(fake, f"clone-{chosen}", "mp3", _duration_ms(text), 32000, 1)
        demo = fake.url_for(name)
    fake.store.add_voice(
        "voice_cloning", {"voice_id": chosen, "description": [], "created_time": "2025-10-09"}
    )
    answer = ok(input_sensitive=False, input_sensitive_type=0, demo_audio=demo)
    return Answer(answer, MediaJob("voice_clone", chosen, call.path))


def voice_design(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    prompt = params.text(body, "prompt", required=True, limit=2000) or ""
    preview = params.text(body, "preview_text", required=True, limit=500) or ""
    serial = fake.store.next()
    if body.get("voice_id") is not None:
        chosen = _new_voice_id(fake, body["voice_id"])
    else:
        chosen = f"ttv-voice-2025100912000000-{serial:08d}"
    trial = content.mp3(_duration_ms(preview))
    fake.store.add_voice(
        "voice_generation", {"voice_id": chosen, "description": [prompt], "created_time": "2025-10-09"}
    )
    return Answer(ok(voice_id=chosen, trial_audio=trial.hex()), MediaJob("voice_design", chosen, call.path))


# --- video ------------------------------------------------------------------------------------


def video_generation(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    model = params.choice(body, "model", VIDEO_MODELS, None)
    image_model = model.startswith(("I2V", "S2V"))
    params.text(body, "prompt", required=not image_model, limit=2000)
    for key in ("first_frame_image", "last_frame_image"):
        image = params.text(body, key, required=False)
        if image is not None and not image.startswith(("http://", "https://", "data:image/")):
            raise InvalidParams(f"{key} must be a URL or a data:image/ URL")
    if image_model and model.startswith("I2V") and not body.get("first_frame_image"):
        raise InvalidParams(f"first_frame_image is required for {model}")
    legacy = model.endswith(("-01", "-01-Director", "-01-live"))
    duration = params.choice(body, "duration", (6, 10), 6)
    resolution = params.choice(body, "resolution", content.VIDEO_SIZES, "720P" if legacy else "768P")
    if resolution == "1080P" and duration != 6:
        raise InvalidParams("1080P supports only duration 6")
    params.flag(body, "prompt_optimizer", True)
    params.flag(body, "fast_pretreatment", False)
    polls = fake.video_polls
    if not isinstance(polls, int) or polls < 1:
        raise ValueError(f"FakeMedia.video_polls must be a positive int, got {polls!r}")
    task = VideoTask(
        task_id=fake.store.new_task_id(),
        model=model,
        resolution=resolution,
        duration=duration,
        polls_needed=polls,
        fails=fake.video_fails,
        pending_statuses=tuple(fake.video_pending_statuses) or ("Processing",),
    )
    fake.store.add_video(task)
    return Answer(ok(task_id=task.task_id), MediaJob("video", task.task_id, call.path))


def _query_param(call: Call, key: str) -> str:
    value = call.query.get(key)
    if not value:
        raise ClientBug(f"query parameter {key} is missing")
    return value


def query_video(fake: FakeMedia, call: Call) -> Answer:
    task_id = _query_param(call, "task_id")
    polled = fake.store.poll(task_id)
    if polled is None:
        raise InvalidParams(f"task_id {task_id} does not exist")
    task, number, finished = polled
    if finished and task.file_id is not None:
        name = f"video-{task.task_id}.mp4"
        data = content.mp4(name)
        fake.store.put_file(name, content.CONTENT_TYPES["mp4"], data)
        fake.store.add_record(FileRecord(task.file_id, "output.mp4", "video_generation", len(data), name))
    if number < task.polls_needed:
        status = task.pending_statuses[min(number - 1, len(task.pending_statuses) - 1)]
        return Answer(ok(task_id=task_id, status=status, file_id=""))
    if task.fails:
        reason = "video generation failed (fake: video_fails)"
        if fake.video_fail_code:
            return Answer(
                {
                    "task_id": task_id,
                    "status": "Fail",
                    "file_id": "",
                    "base_resp": {"status_code": fake.video_fail_code, "status_msg": reason},
                }
            )
        return Answer(ok(task_id=task_id, status="Fail", file_id="", error_message=reason))
    width, height = content.VIDEO_SIZES[task.resolution]
    return Answer(
        ok(
            task_id=task_id,
            status="Success",
            file_id=str(task.file_id),
            video_width=width,
            video_height=height,
        )
    )


def files_retrieve(fake: FakeMedia, call: Call) -> Answer:
    raw = _query_param(call, "file_id")
    if not raw.isdigit():
        raise InvalidParams(f"file_id must be an integer, got {raw!r}")
    record = fake.store.record(int(raw))
    if record is None:
        raise InvalidParams(f"file_id {raw} does not exist")
    file: dict[str, Any] = {
        "file_id": record.file_id,
        "bytes": record.size,
        "created_at": CREATED_AT,
        "filename": record.filename,
        "purpose": record.purpose,
    }
    if record.download:
        file["download_url"] = fake.url_for(record.download)
    return Answer(ok(file=file))


# --- music ------------------------------------------------------------------------------------


def music_generation(fake: FakeMedia, call: Call) -> Answer:
    body = call.body
    params.no_stream(body)
    model = params.choice(body, "model", MUSIC_MODELS, None)
    params.text(body, "prompt", required=model == "music-1.5", limit=2000)
    lyrics = params.text(body, "lyrics", required=True, limit=3500) or ""
    output = params.choice(body, "output_format", ("hex", "url"), "hex")
    settings = params.section(body, "audio_setting")
    rate, bitrate, fmt, _ = _audio_settings(settings, MUSIC_RATES, ("mp3", "wav", "pcm"))
    serial = fake.store.next()
    ms = _duration_ms(lyrics)
    name, data = _store_audio(fake, f"music-{serial}", fmt, ms, rate, 2)
    extra = {
        "music_duration": ms,
        "music_sample_rate": rate,
        "music_channel": 2,
        "bitrate": bitrate,
        "music_size": len(data),
    }
    audio = fake.url_for(name) if output == "url" else data.hex()
    trace = uuid.uuid4().hex
    answer = ok(data={"audio": audio, "status": 2}, extra_info=extra, trace_id=trace)
    return Answer(answer, MediaJob("music", trace, call.path))


# Path -> (method, handler, body kind).
ROUTES: dict[str, tuple[str, Handler, str]] = {
    "/v1/image_generation": ("POST", image_generation, "json"),
    "/v1/t2a_v2": ("POST", t2a_v2, "json"),
    "/v1/get_voice": ("POST", get_voice, "json"),
    "/v1/files/upload": ("POST", files_upload, "multipart"),
    "/v1/voice_clone": ("POST", voice_clone, "json"),
    "/v1/voice_design": ("POST", voice_design, "json"),
    "/v1/video_generation": ("POST", video_generation, "json"),
    "/v1/query/video_generation": ("GET", query_video, "none"),
    "/v1/files/retrieve": ("GET", files_retrieve, "none"),
    "/v1/music_generation": ("POST", music_generation, "json"),
}
