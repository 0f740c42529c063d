"""What FakeMedia remembers: each request as received, and each thing a request created."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MediaRequest:
    """One request: headers lower-cased; `json` is the parsed body (None unless a JSON object);
    `form`/`files` are multipart fields, files as name -> (filename, bytes, content_type or None)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: dict[str, Any] | None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str | None]] = field(default_factory=dict)


@dataclass
class MediaJob:
    """Something a request created (a paid generation, or an upload): kind is one of image, speech,
    voice_clone, voice_design, video, music, upload. `answered` is None until the response goes out,
    then True, or False when the client was gone first (a timeout or mid-body disconnect fault)."""

    kind: str
    id: str
    path: str
    answered: bool | None = None
