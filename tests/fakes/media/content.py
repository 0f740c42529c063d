"""Small, deterministic media files with real headers: a decodable JPEG, an MP4 `ftyp` box, MP3 frames,
WAV/PCM/FLAC. Same inputs, same bytes; a few KB each."""

from __future__ import annotations

import hashlib
import struct

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "mp4": "video/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "pcm": "application/octet-stream",
}

# Pixel sizes MiniMax's image-01 answers for each aspect ratio.
IMAGE_SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1280, 720),
    "4:3": (1152, 864),
    "3:2": (1248, 832),
    "2:3": (832, 1248),
    "3:4": (864, 1152),
    "9:16": (720, 1280),
    "21:9": (1344, 576),
}

VIDEO_SIZES = {"512P": (912, 512), "720P": (1280, 720), "768P": (1366, 768), "1080P": (1920, 1080)}


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg(width: int, height: int) -> bytes:
    """A valid baseline grayscale JPEG, flat mid-grey: every 8x8 block is `DC diff 0, EOB`, coded in one
    bit each by one-symbol Huffman tables, so even 1280x720 is ~3.6 KB."""
    jfif = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    quant = _segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1 (bit 0) for symbol 0x00
    huffman = _segment(0xC4, b"\x00" + one_code) + _segment(0xC4, b"\x10" + one_code)
    scan = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = -(-width // 8) * -(-height // 8)
    bits = blocks * 2
    data = bytearray(-(-bits // 8))
    if bits % 8:  # pad the last byte with 1-bits, as the standard requires
        data[-1] = (1 << (8 - bits % 8)) - 1
    return b"\xff\xd8" + jfif + quant + frame + huffman + scan + bytes(data) + b"\xff\xd9"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def mp4(seed: str, size: int = 4096) -> bytes:
    """An ISO-BMFF file: `ftyp` (isom/mp42), then `mdat` filled with seeded bytes."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    return ftyp + _box(b"mdat", _noise(seed, size - len(ftyp) - 8))


def _noise(seed: str, size: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono: 417-byte frames of 1152 samples (~26.1 ms).
_MP3_HEADER = b"\xff\xfb\x90\xc4"
_MP3_FRAME = 417
MP3_FRAME_MS = 1152 / 44.1


def mp3(duration_ms: int) -> bytes:
    frames = max(1, round(duration_ms / MP3_FRAME_MS))
    return (_MP3_HEADER + bytes(_MP3_FRAME - len(_MP3_HEADER))) * frames


def pcm(duration_ms: int, sample_rate: int, channels: int) -> bytes:
    """16-bit little-endian samples of a quiet square wave."""
    samples = sample_rate * duration_ms // 1000
    period = max(2, sample_rate // 440)
    frame = [struct.pack("<h", 800 if (i % period) < period // 2 else -800) * channels for i in range(period)]
    cycle = b"".join(frame)
    return (cycle * (samples // period + 1))[: samples * 2 * channels]


def wav(duration_ms: int, sample_rate: int, channels: int) -> bytes:
    data = pcm(duration_ms, sample_rate, channels)
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + _box_le(b"fmt ", fmt) + _box_le(b"data", data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _box_le(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload


def flac(sample_rate: int, channels: int) -> bytes:
    """`fLaC` and a lone STREAMINFO block declaring zero samples (no audio frames follow)."""
    packed = (sample_rate << 44) | ((channels - 1) << 41) | (15 << 36)  # 16 bits/sample, 0 samples
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + packed.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def audio(fmt: str, duration_ms: int, sample_rate: int, channels: int) -> bytes:
    if fmt == "mp3":
        return mp3(duration_ms)
    if fmt == "wav":
        return wav(duration_ms, sample_rate, channels)
    if fmt == "pcm":
        return pcm(duration_ms, sample_rate, channels)
    if fmt == "flac":
        return flac(sample_rate, channels)
    raise ValueError(f"unknown audio format {fmt!r}")
