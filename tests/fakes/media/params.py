"""Checking request bodies the way MiniMax does: a bad value is a 2013 answer (a legitimate test), a
malformed request (not JSON, missing query parameter, misspelled key) is also a fake violation."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

INVALID_PARAMS = 2013


class InvalidParams(Exception):
    """Answered with base_resp 2013 "invalid params, <message>"."""

    def __init__(self, message: str, code: int = INVALID_PARAMS) -> None:
        super().__init__(message)
        self.code = code


class ClientBug(InvalidParams):
    """Answered like InvalidParams, and recorded as a violation: no correct client sends this."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every field MiniMax documents per endpoint; anything else is most likely a misspelling.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "/v1/image_generation": _words(
        "model prompt aspect_ratio width height n prompt_optimizer response_format seed "
        "subject_reference style aigc_watermark"
    ),
    "/v1/t2a_v2": _words(
        "model text stream stream_options voice_setting audio_setting pronunciation_dict timbre_weights "
        "language_boost voice_modify subtitle_enable subtitle_type output_format aigc_watermark"
    ),
    "/v1/get_voice": frozenset({"voice_type"}),
    "/v1/voice_clone": _words(
        "file_id voice_id clone_prompt text model language_boost need_noise_reduction "
        "need_volume_normalization accuracy aigc_watermark continuous_sound"
    ),
    "/v1/voice_design": _words("prompt preview_text voice_id aigc_watermark"),
    "/v1/video_generation": _words(
        "model prompt prompt_optimizer fast_pretreatment duration resolution first_frame_image "
        "last_frame_image subject_reference callback_url aigc_watermark"
    ),
    "/v1/music_generation": _words(
        "model prompt lyrics stream output_format audio_setting aigc_watermark lyrics_optimizer "
        "is_instrumental"
    ),
}
KNOWN_SUBKEYS = {
    "voice_setting": _words(
        "voice_id speed vol pitch emotion text_normalization latex_read english_normalization"
    ),
    "audio_setting": _words("sample_rate bitrate format channel force_cbr"),
}

VOICE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{7,255}")


def unknown_keys(path: str, body: dict[str, Any]) -> list[str]:
    known = KNOWN_KEYS.get(path, frozenset())
    found = [key for key in body if key not in known]
    for name, subkeys in KNOWN_SUBKEYS.items():
        section = body.get(name)
        if name in known and isinstance(section, dict):
            found += [f"{name}.{key}" for key in section if key not in subkeys]
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(body: dict[str, Any], key: str, *, required: bool, limit: int | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidParams(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise InvalidParams(f"{key} must be a string")
    if required and not value.strip():
        raise InvalidParams(f"{key} must not be empty")
    if limit is not None and len(value) > limit:
        raise InvalidParams(f"{key} is longer than {limit} characters")
    return value


def choice(body: dict[str, Any], key: str, options: Collection[Any], default: Any) -> Any:
    value = body.get(key, default)
    if value is None:
        value = default
    if value not in options or isinstance(value, bool) != isinstance(next(iter(options)), bool):
        raise InvalidParams(f"{key} must be one of {sorted(options, key=str)}, got {value!r}")
    return value


def integer(body: dict[str, Any], key: str, low: int, high: int, default: int) -> int:
    value = body.get(key, default)
    if not _is_int(value) or not low <= value <= high:
        raise InvalidParams(f"{key} must be an integer in [{low}, {high}], got {value!r}")
    return value


def number(body: dict[str, Any], key: str, low: float, high: float, default: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidParams(f"{key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise InvalidParams(f"{key} must be a boolean, got {value!r}")
    return value


def section(body: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidParams(f"{key} is required")
        return {}
    if not isinstance(value, dict):
        raise InvalidParams(f"{key} must be an object")
    return value


def voice_id(value: Any, key: str = "voice_id") -> str:
    """MiniMax's custom voice ids: 8-256 chars, a letter first, letters/digits/-/_, not ending in -/_."""
    if not isinstance(value, str) or not VOICE_ID.fullmatch(value) or value[-1] in "-_":
        raise InvalidParams(
            f"{key} must be 8-256 characters, start with a letter, use only letters, digits, '-' and '_', "
            f"and not end with '-' or '_'; got {value!r}"
        )
    return value


def no_stream(body: dict[str, Any]) -> None:
    if body.get("stream", False) is not False:
        raise ClientBug("stream must be false (the fake serves only non-streaming media calls)")
