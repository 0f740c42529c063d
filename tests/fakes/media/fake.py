"""FakeMedia: a strict stand-in for MiniMax's media HTTP API (image, speech, voices, video, music)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Literal, get_args

from tests.fakes.local_fake import LocalFake
from tests.fakes.media.app import build_app
from tests.fakes.media.fault import MediaFault
from tests.fakes.media.handlers import ROUTES
from tests.fakes.media.records import MediaJob, MediaRequest
from tests.fakes.media.store import Store

DownloadFault = Literal["oversize", "oversize_chunked", "wrong_type", "non_https", "slow"]
NON_HTTPS_HOST = "http://media.example.invalid"


class FakeMedia(LocalFake):
    """Real HTTP on 127.0.0.1. Download URLs point back at this server (GET /files/<name>)."""

    def __init__(self, api_key: str = "test-key") -> None:
        self.api_key = api_key
        # A video task answers the pending statuses until its Nth poll, which answers Success (or Fail
        # when video_fails). Both are read when the task is created. Pending poll k answers
        # video_pending_statuses[k-1] (the last one repeating).
        self.video_polls = 3
        self.video_fails = False
        self.video_pending_statuses: tuple[str, ...] = ("Processing",)
        # 0: a failed task answers base_resp success + error_message; else base_resp carries this code.
        self.video_fail_code = 0
        self.oversize_bytes = 1 << 30  # what an "oversize" download claims and streams (lazily)
        self.slow_seconds = 30.0  # how long a "slow" download stalls after its headers
        self.requests: list[MediaRequest] = []
        self.violations: list[str] = []
        self.downloads: list[str] = []
        self.jobs: list[MediaJob] = []
        self.store = Store()
        self._download_fault: DownloadFault | None = None
        self._faults: dict[str, deque[MediaFault]] = {}
        self._lock = threading.Lock()

    def _build_app(self) -> Any:
        return build_app(self)

    # --- scripting ---------------------------------------------------------------------------

    @property
    def download_fault(self) -> DownloadFault | None:
        """None, or how download URLs misbehave: "oversize" (a huge Content-Length and body, streamed
        lazily), "oversize_chunked" (the same without Content-Length), "wrong_type" (text/html),
        "non_https" (the API hands out http://media.example.invalid/... URLs), "slow" (headers, then a
        stall of slow_seconds before the body)."""
        return self._download_fault

    @download_fault.setter
    def download_fault(self, value: DownloadFault | None) -> None:
        if value is not None and value not in get_args(DownloadFault):
            raise ValueError(f"download_fault must be None or one of {get_args(DownloadFault)}")
        self._download_fault = value

    def fault(self, path: str, *faults: MediaFault) -> None:
        """Queue faults for an API path (e.g. "/v1/image_generation"), or for downloads: a file's
        "/files/<name>" or "/files/" for any. Each request to the path consumes the next one."""
        if path not in ROUTES and not path.startswith("/files/"):
            raise ValueError(
                f"{path!r} is not an endpoint of the fake: one of {sorted(ROUTES)} or /files/..."
            )
        with self._lock:
            self._faults.setdefault(path, deque()).extend(faults)

    def pending_faults(self, path: str | None = None) -> int:
        with self._lock:
            return sum(len(q) for p, q in self._faults.items() if path is None or p == path)

    def poll_count(self, task_id: str) -> int:
        return self.store.poll_count(task_id)

    def url_for(self, name: str) -> str:
        """The download URL of a stored file, as the API hands it out."""
        base = NON_HTTPS_HOST if self._download_fault == "non_https" else self.host
        return f"{base}/files/{name}"

    def jobs_of(self, kind: str) -> list[MediaJob]:
        with self._lock:
            return [job for job in self.jobs if job.kind == kind]

    # --- called by the app, on the server thread ---------------------------------------------

    def record_request(self, info: MediaRequest) -> int:
        with self._lock:
            self.requests.append(info)
            return len(self.requests)

    def record_violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def record_download(self, path: str) -> None:
        with self._lock:
            self.downloads.append(path)

    def add_job(self, job: MediaJob) -> None:
        with self._lock:
            self.jobs.append(job)

    def mark_answered(self, job: MediaJob, answered: bool) -> None:
        with self._lock:
            job.answered = answered

    def take_fault(self, path: str) -> MediaFault | None:
        keys = [path, "/files/"] if path.startswith("/files/") else [path]
        with self._lock:
            for key in keys:
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return None
