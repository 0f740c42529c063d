"""FakeMedia's server-side state, safe to touch from the server thread and the test thread at once."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

# Far from each other and from 0, so a test cannot confuse a task id with a file id.
_TASK_BASE = 300_000_000_000_000
_FILE_BASE = 400_000_000_000_000
CREATED_AT = 1_760_000_000  # a fixed unix time: responses stay deterministic


@dataclass(frozen=True)
class StoredFile:
    """A file served at GET /files/<name>."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FileRecord:
    """What /v1/files/retrieve knows about a file_id."""

    file_id: int
    filename: str
    purpose: str
    size: int
    download: str | None  # a /files/ name, for generated files


@dataclass
class VideoTask:
    task_id: str
    model: str
    resolution: str
    duration: int
    polls_needed: int
    fails: bool
    pending_statuses: tuple[str, ...]
    polls: int = 0
    file_id: int | None = None


@dataclass
class Store:
    lock: threading.Lock = field(default_factory=threading.Lock)
    files: dict[str, StoredFile] = field(default_factory=dict)
    records: dict[int, FileRecord] = field(default_factory=dict)
    videos: dict[str, VideoTask] = field(default_factory=dict)
    cloned: list[dict[str, Any]] = field(default_factory=list)
    designed: list[dict[str, Any]] = field(default_factory=list)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next(self) -> int:
        with self.lock:
            return next(self._serial)

    def put_file(self, name: str, content_type: str, data: bytes) -> StoredFile:
        stored = StoredFile(name, content_type, data)
        with self.lock:
            self.files[name] = stored
        return stored

    def file(self, name: str) -> StoredFile | None:
        with self.lock:
            return self.files.get(name)

    def new_file_id(self) -> int:
        return _FILE_BASE + self.next()

    def new_task_id(self) -> str:
        return str(_TASK_BASE + self.next())

    def add_record(self, record: FileRecord) -> None:
        with self.lock:
            self.records[record.file_id] = record

    def record(self, file_id: int) -> FileRecord | None:
        with self.lock:
            return self.records.get(file_id)

    def add_video(self, task: VideoTask) -> None:
        with self.lock:
            self.videos[task.task_id] = task

    def poll(self, task_id: str) -> tuple[VideoTask, int, bool] | None:
        """Count one poll: the task, which poll this was (1-based), and whether this poll just finished
        a successful task (then its file_id was assigned here, and the caller stores the file)."""
        with self.lock:
            task = self.videos.get(task_id)
            if task is None:
                return None
            task.polls += 1
            finished = task.polls >= task.polls_needed and not task.fails and task.file_id is None
            if finished:
                task.file_id = _FILE_BASE + next(self._serial)
            return task, task.polls, finished

    def poll_count(self, task_id: str) -> int:
        with self.lock:
            task = self.videos.get(task_id)
            return task.polls if task else 0

    def voice_taken(self, voice_id: str) -> bool:
        with self.lock:
            return any(v["voice_id"] == voice_id for v in self.cloned + self.designed)

    def add_voice(self, kind: str, voice: dict[str, Any]) -> None:
        with self.lock:
            (self.cloned if kind == "voice_cloning" else self.designed).append(voice)

    def voices(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(v) for v in (self.cloned if kind == "voice_cloning" else self.designed)]
