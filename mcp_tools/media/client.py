"""The MiniMax media API over HTTP: timeouts on everything, careful retries, clear failures.

Retries follow the design's paid-calls rule. Anything is retried when the request never left (connection
refused, connect timeout), on 429 and on `base_resp` 1002 (rate limited: nothing was started). Reads are
also retried on 5xx and broken connections. A job-creating POST (image, video, speech, music, voice clone
or design) is never re-sent once it may have reached MiniMax: after a read timeout, a dropped connection
or a 5xx the job may have started and been charged, so the caller is told how to check instead.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import httpx

from m2bridge.client.error_mapping import retry_after_seconds
from m2bridge.json_values import JSONObject, is_json_object
from mcp_tools.failure import ToolFailure
from mcp_tools.media.api_errors import api_code_message, region_hint, trace_suffix
from mcp_tools.media.config import MediaConfig, Sleep
from mcp_tools.media.downloads import MAX_BYTES, Downloaded, download_to

__all__ = ["MediaClient"]

_RATE_CODES = frozenset({1002, 1039})
# Internal errors worth another try for reads only: for a job they may mean it started.
_SERVER_CODES = frozenset({1000, 1001, 1024})
_MAX_RETRY_AFTER = 60.0
_BACKOFF_CAP = 30.0


class _Retry(Exception):
    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every media call: building one costs ~20 ms of event-loop time, per client."""
    return httpx.create_ssl_context()


class MediaClient:
    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        sleep: Sleep = anyio.sleep,
        download_read_timeout: float = 60.0,
        download_deadline: float = 600.0,
        fixed_read_timeout: float | None = None,
        size_caps: Mapping[str, int] | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self._key = api_key
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._deadline = download_deadline
        self._connect = connect_timeout
        self._fixed_read = fixed_read_timeout
        self._caps = dict(MAX_BYTES if size_caps is None else size_caps)
        if fixed_read_timeout is not None:
            read_timeout = fixed_read_timeout
        # trust_env=False: no proxy or netrc from the environment gets to see the key.
        self._api = httpx.AsyncClient(
            base_url=self.host,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=10.0),
            follow_redirects=False,
            trust_env=False,
            verify=_tls(),
        )
        # Downloads go to other hosts (a CDN): a separate client that never carries the key.
        self._files = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=connect_timeout, read=download_read_timeout, write=30.0, pool=10.0),
            follow_redirects=False,
            trust_env=False,
            verify=_tls(),
        )

    @classmethod
    def from_config(cls, config: MediaConfig) -> MediaClient:
        if config.problem:
            raise ToolFailure(config.problem)
        if not config.api_key:
            raise ToolFailure(
                "no MiniMax API key: set MINIMAX_API_KEY in the server's environment (and MINIMAX_API_HOST "
                "for the China platform, https://api.minimaxi.com), then restart the server"
            )
        return cls(
            config.host,
            config.api_key,
            backoff_base=config.poll_base,
            sleep=config.sleep,
            download_read_timeout=config.download_read_timeout,
            download_deadline=config.download_deadline,
            fixed_read_timeout=config.api_read_timeout,
            size_caps=config.size_caps,
        )

    async def __aenter__(self) -> MediaClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._api.aclose()
            await self._files.aclose()

    def scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    # -- API calls -------------------------------------------------------------------------------------

    async def post(
        self,
        path: str,
        json: Mapping[str, Any],
        *,
        creates_job: bool,
        job_hint: str = "",
        read_timeout: float | None = None,
    ) -> JSONObject:
        """POST JSON; `read_timeout` for endpoints that answer only once the work is done (music, images)."""
        extra: dict[str, Any] = {}
        if read_timeout is not None and self._fixed_read is None:
            extra["timeout"] = httpx.Timeout(connect=self._connect, read=read_timeout, write=60.0, pool=10.0)
        return await self._call(
            "POST", path, json=dict(json), creates_job=creates_job, job_hint=job_hint, **extra
        )

    async def get(self, path: str, params: Mapping[str, str]) -> JSONObject:
        return await self._call("GET", path, params=dict(params))

    async def upload(self, path: str, data: Mapping[str, str], file_name: str, content: bytes) -> JSONObject:
        files = {"file": (file_name, content, "application/octet-stream")}
        return await self._call("POST", path, data=dict(data), files=files)

    async def _call(
        self, method: str, path: str, *, creates_job: bool = False, job_hint: str = "", **request: Any
    ) -> JSONObject:
        attempt = 0
        while True:
            try:
                return await self._once(method, path, creates_job=creates_job, job_hint=job_hint, **request)
            except _Retry as retry:
                attempt += 1
                if attempt > self.max_retries:
                    raise ToolFailure(self.scrub(f"{retry} Gave up after {attempt} attempts.")) from None
                wait = retry.wait
                if wait is None:
                    # Full jitter: many jobs backing off at once do not come back in step.
                    wait = min(_BACKOFF_CAP, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(
                        0.5, 1.0
                    )
                elif wait > _MAX_RETRY_AFTER:
                    raise ToolFailure(
                        self.scrub(f"{retry} MiniMax asks to wait {wait:.0f} s; try again later.")
                    ) from None
                await self._sleep(wait)

    async def _once(
        self, method: str, path: str, *, creates_job: bool, job_hint: str, **request: Any
    ) -> JSONObject:
        try:
            response = await self._api.request(method, path, **request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
            # The request never left: safe to send again, even for a paid job.
            raise _Retry(f"Could not connect to {self.host} ({type(err).__name__}).") from err
        except httpx.TransportError as err:
            what = "timed out" if isinstance(err, httpx.TimeoutException) else "broke off"
            if creates_job:
                raise ToolFailure(self._maybe_started(f"the request {what}", job_hint)) from err
            raise _Retry(f"The request to {self.host}{path} {what} ({type(err).__name__}).") from err
        trace = trace_suffix(response.headers)
        body = self._json(response)
        base = body.get("base_resp") if is_json_object(body) else None
        code = base.get("status_code") if is_json_object(base) else None
        message = str(base.get("status_msg") or "") if is_json_object(base) else ""
        status = response.status_code
        if (isinstance(code, int) and code in _RATE_CODES) or status == 429:
            text = (
                api_code_message(code, message, self.host)
                if isinstance(code, int)
                else "Rate limited (HTTP 429)."
            )
            raise _Retry(text + trace, retry_after_seconds(response.headers))
        if status >= 500 or (isinstance(code, int) and code in _SERVER_CODES):
            detail = (
                api_code_message(code, message, self.host) if isinstance(code, int) else f"HTTP {status}."
            )
            if creates_job:
                raise ToolFailure(self._maybe_started(f"MiniMax answered with an error ({detail})", job_hint))
            raise _Retry(f"MiniMax failed: {detail}{trace}", retry_after_seconds(response.headers))
        if isinstance(code, int) and code != 0:
            raise ToolFailure(self.scrub(api_code_message(code, message, self.host) + trace))
        if status in (401, 403):
            raise ToolFailure(
                f"MiniMax refused the API key (HTTP {status}). Check MINIMAX_API_KEY. "
                f"{region_hint(self.host)}{trace}"
            )
        if 300 <= status < 400:
            raise ToolFailure(
                f"MiniMax redirected {path} (HTTP {status}); check MINIMAX_API_HOST ({self.host})."
            )
        if status == 404:
            raise ToolFailure(f"{self.host}{path} does not exist (HTTP 404); check MINIMAX_API_HOST.{trace}")
        if status >= 400:
            raise ToolFailure(self.scrub(f"MiniMax refused the request (HTTP {status}).{trace}"))
        if not is_json_object(body):
            raise ToolFailure(
                f"MiniMax answered {path} with something that is not a JSON object "
                f"(content type {response.headers.get('content-type', 'none')}).{trace}"
            )
        return body

    @staticmethod
    def _json(response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError:
            return None

    def _maybe_started(self, what: str, job_hint: str) -> str:
        hint = job_hint or "Check your MiniMax account (usage and task lists) before retrying."
        return self.scrub(
            f"{what} after it was sent, so the job may have started and been charged; it was NOT sent "
            f"again. {hint}"
        )

    # -- files -----------------------------------------------------------------------------------------

    async def download(
        self,
        url: str,
        folder: Path,
        *,
        kind: str,
        default_ext: str,
        allowed: tuple[str, ...],
        max_bytes: int | None = None,
    ) -> Downloaded:
        return await download_to(
            self._files,
            url,
            folder,
            kind=kind,
            default_ext=default_ext,
            allowed=allowed,
            max_bytes=self._caps[kind] if max_bytes is None else max_bytes,
            deadline=self._deadline,
        )
