"""The ASGI app: record, route, apply a queued fault, check the key and the body, run the endpoint."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.media.fault import MediaFault
from tests.fakes.media.handlers import ROUTES, UPLOAD_LIMIT, Answer, Call
from tests.fakes.media.outlet import MediaOutlet
from tests.fakes.media.params import ClientBug, InvalidParams, unknown_keys
from tests.fakes.media.records import MediaRequest
from tests.fakes.minimax.rendering import to_json
from tests.fakes.minimax.trace import TraceIdMiddleware

if TYPE_CHECKING:
    from tests.fakes.media.fake import FakeMedia

AUTH_FAILED = 1004
RATE_LIMITED = 1002
UNKNOWN_ERROR = 1000
LOGIN_FAIL = "login fail: Please carry the API secret key in the 'Authorization' field of the request header"
NOT_HTML = b"<!DOCTYPE html><html><head><title>Access denied</title></head><body>Access denied</body></html>"


def _error(code: int, message: str) -> dict[str, Any]:
    return {"base_resp": {"status_code": code, "status_msg": message}}


class _Parsed:
    def __init__(self) -> None:
        self.json: dict[str, Any] | None = None
        self.form: dict[str, str] = {}
        self.files: dict[str, tuple[str, bytes, str | None]] = {}
        self.problem: str | None = None


async def _parse(request: Request, raw: bytes, content_type: str) -> _Parsed:
    parsed = _Parsed()
    if content_type.startswith("multipart/form-data"):
        try:
            form = await request.form(max_part_size=UPLOAD_LIMIT + 1024 * 1024)
        except Exception as error:
            parsed.problem = f"malformed multipart body: {error}"
            return parsed
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    parsed.files[key] = (value.filename or "", await value.read(), value.content_type)
                else:
                    parsed.form[key] = value
        finally:
            await form.close()
    elif raw:
        try:
            value = json.loads(raw)
        except ValueError as error:
            parsed.problem = f"body is not JSON: {error}"
            return parsed
        if isinstance(value, dict):
            parsed.json = value
        else:
            parsed.problem = "body must be a JSON object"
    return parsed


class MediaApp:
    """A raw ASGI app, because faults need the connection itself (stalls, hang-ups, huge streams)."""

    def __init__(self, fake: FakeMedia) -> None:
        self._fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        raw = await request.body()
        outlet = MediaOutlet(scope, receive, send)
        try:
            await self._handle(request, raw, outlet)
        finally:
            await outlet.close()

    async def _handle(self, request: Request, raw: bytes, outlet: MediaOutlet) -> None:
        fake = self._fake
        method, path = request.method, request.url.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        content_type = headers.get("content-type", "").lower()
        parsed = await _parse(request, raw, content_type) if method == "POST" else _Parsed()
        info = MediaRequest(
            method, path, dict(request.query_params), headers, parsed.json, parsed.form, parsed.files
        )
        number = fake.record_request(info)
        where = f"request #{number} {method} {path}"

        if path.startswith("/files/"):
            if method not in ("GET", "HEAD"):
                await self._misroute(outlet, where, 405, "download URLs take GET")
            else:
                fault = fake.take_fault(path)
                if not await self._early_fault(fault, outlet):
                    await self._download(path, method, fault, outlet, where)
            return
        route = ROUTES.get(path)
        if route is None:
            if path == "/" and method == "GET":
                await outlet.raw(200, "text/plain; charset=utf-8", b"fake MiniMax media")
            else:
                await self._misroute(outlet, where, 404, "no such endpoint on the fake")
            return
        expected, handler, body_kind = route
        if method != expected:
            await self._misroute(outlet, where, 405, f"{path} takes {expected}")
            return
        fault = fake.take_fault(path)
        if await self._early_fault(fault, outlet):
            return
        if headers.get("authorization") != f"Bearer {fake.api_key}":
            # MiniMax answers a missing or wrong key with HTTP 200 and base_resp 1004.
            await outlet.json(200, _error(AUTH_FAILED, LOGIN_FAIL))
            return
        try:
            body = self._body(body_kind, content_type, parsed)
            for key in unknown_keys(path, body):
                fake.record_violation(f"{where}: unknown field {key!r} (misspelled? MiniMax ignores it)")
            answer = handler(fake, Call(path, body, info.query, parsed.form, parsed.files))
        except InvalidParams as error:
            if isinstance(error, ClientBug):
                fake.record_violation(f"{where}: {error}")
            answer = Answer(_error(error.code, f"invalid params, {error}"))
        await self._deliver(answer, fault, outlet)

    @staticmethod
    def _body(kind: str, content_type: str, parsed: _Parsed) -> dict[str, Any]:
        if kind == "json":
            if not content_type.startswith("application/json"):
                raise ClientBug(f"Content-Type must be application/json, got {content_type!r}")
            if parsed.json is None:
                raise ClientBug(parsed.problem or "body is empty; expected a JSON object")
        elif kind == "multipart":
            if not content_type.startswith("multipart/form-data"):
                raise ClientBug(f"Content-Type must be multipart/form-data, got {content_type!r}")
            if parsed.problem:
                raise ClientBug(parsed.problem)
        return parsed.json or {}

    async def _misroute(self, outlet: MediaOutlet, where: str, status: int, why: str) -> None:
        # A misbuilt URL should fail the test by name, not as a bare 404 deep inside the client.
        self._fake.record_violation(f"{where}: {why}")
        await outlet.json(
            status, _error(UNKNOWN_ERROR, "not found" if status == 404 else "method not allowed")
        )

    @staticmethod
    async def _early_fault(fault: MediaFault | None, outlet: MediaOutlet) -> bool:
        """Serve a fault that stops the request before any work; True if one did."""
        if fault is None:
            return False
        if fault.kind == "api_error":
            await outlet.json(fault.http_status, _error(fault.code, fault.message))
        elif fault.kind == "http":
            headers = {}
            if fault.retry_after is not None:
                headers["retry-after"] = f"{fault.retry_after:g}"
            code, message = (
                (RATE_LIMITED, "rate limit exceeded")
                if fault.http_status == 429
                else (UNKNOWN_ERROR, "error")
            )
            await outlet.json(fault.http_status, _error(code, message), headers)
        elif fault.kind == "disconnect" and not fault.mid_body:
            await outlet.hang_up()
        else:
            return False
        return True

    async def _deliver(self, answer: Answer, fault: MediaFault | None, outlet: MediaOutlet) -> None:
        fake, job = self._fake, answer.job
        if job is not None:
            fake.add_job(job)
        answered = True
        if fault is not None and fault.kind == "timeout":
            answered = await outlet.pause(fault.seconds)
            if answered:
                await outlet.json(200, answer.body)
        elif fault is not None and fault.kind == "disconnect":
            data = to_json(answer.body).encode()
            await outlet.start(200, "application/json", {"content-length": str(len(data))})
            await outlet.chunk(data[: len(data) // 2])
            await outlet.hang_up()
            answered = False
        else:
            await outlet.json(200, answer.body)
        if job is not None:
            fake.mark_answered(job, answered)

    async def _download(
        self, path: str, method: str, fault: MediaFault | None, outlet: MediaOutlet, where: str
    ) -> None:
        fake = self._fake
        stored = fake.store.file(path.removeprefix("/files/"))
        if stored is None:
            await self._misroute(outlet, where, 404, "no such file on the fake")
            return
        if method == "HEAD":
            await outlet.start(200, stored.content_type, {"content-length": str(len(stored.data))})
            await outlet.chunk(b"", more=False)
            return
        fake.record_download(path)
        if fault is not None and fault.kind == "timeout" and not await outlet.pause(fault.seconds):
            return
        if fault is not None and fault.kind == "disconnect":
            await outlet.start(200, stored.content_type, {"content-length": str(len(stored.data))})
            await outlet.chunk(stored.data[: len(stored.data) // 2])
            await outlet.hang_up()
            return
        mode = fake.download_fault
        if mode == "wrong_type":
            await outlet.raw(200, "text/html; charset=utf-8", NOT_HTML)
        elif mode in ("oversize", "oversize_chunked"):
            total = fake.oversize_bytes
            await outlet.start(
                200, stored.content_type, {"content-length": str(total)} if mode == "oversize" else {}
            )
            await outlet.stream(stored.data, total)
        elif mode == "slow":
            await outlet.start(200, stored.content_type, {"content-length": str(len(stored.data))})
            if await outlet.pause(fake.slow_seconds):
                await outlet.chunk(stored.data, more=False)
        else:
            await outlet.raw(200, stored.content_type, stored.data)


def build_app(fake: FakeMedia) -> ASGIApp:
    return TraceIdMiddleware(MediaApp(fake))
