"""Turning MiniMax's failures (HTTP status, `base_resp` codes, transport errors) into clear ModelErrors."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping

import httpx

from m2bridge.config import CHINA_HOST, GLOBAL_HOST, Settings
from m2bridge.errors import ModelError
from m2bridge.json_values import is_mapping

__all__ = [
    "api_error_from_body",
    "error_from_response",
    "error_from_transport",
    "retry_after_seconds",
    "trace_id",
]

_CONTEXT_WORDS = ("context", "window", "too long", "exceed", "prompt is too long")


def trace_id(headers: Mapping[str, str]) -> str | None:
    """MiniMax's Trace-Id from a response's headers, under whichever name it came."""
    for name in ("trace-id", "x-trace-id", "minimax-trace-id"):
        if value := headers.get(name):
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        # An HTTP date; a malformed header from a server is ignored, not a crash.
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def _region_hint(settings: Settings) -> str:
    if not settings.uses_minimax_host:
        return f"Check M2BRIDGE_API_KEY for {settings.base_url}."
    if settings.region == "China":
        return (
            "A key only works on its own region's host: you are using the China host; a key from the "
            f"global platform belongs to {GLOBAL_HOST} (set MINIMAX_API_HOST={GLOBAL_HOST})."
        )
    return (
        f"A key only works on its own region's host: you are using {settings.host}; a key from the China "
        f"platform belongs to {CHINA_HOST} (set MINIMAX_API_HOST={CHINA_HOST})."
    )


def _from_code(
    code: int, message: str, settings: Settings, trace: str | None, status: int | None
) -> ModelError:
    def err(kind: str, text: str, retryable: bool = False) -> ModelError:
        return ModelError(text, code=kind, trace_id=trace, status=status, api_code=code, retryable=retryable)

    if code == 2049:
        return err("auth", f"MiniMax rejected the API key (2049 invalid api key). {_region_hint(settings)}")
    if code == 1004:
        return err(
            "auth", f"Not authorized (1004: {message}). Check MINIMAX_API_KEY. {_region_hint(settings)}"
        )
    if code == 1008:
        return err(
            "balance", "Your MiniMax account balance is empty (1008). Top it up on the MiniMax platform."
        )
    if code == 2038:
        return err("verification", "MiniMax requires real-name verification for this account (2038).")
    if code == 2013:
        if any(word in message.lower() for word in _CONTEXT_WORDS):
            return err(
                "context_overflow", f"The conversation no longer fits M2's context window (2013: {message})."
            )
        return err("invalid_params", f"MiniMax refused the request's parameters (2013: {message}).")
    if code == 1002:
        return err("rate_limited", f"Rate limited by MiniMax (1002: {message}).", retryable=True)
    if code == 1039:
        return err("rate_limited", f"Token limit reached (1039: {message}).", retryable=True)
    if code == 1001:
        return err("timeout", f"MiniMax timed out (1001: {message}).", retryable=True)
    if code in (1000, 1024):
        return err("server", f"MiniMax internal error ({code}: {message}).", retryable=True)
    return err("api", f"MiniMax error {code}: {message}")


def _message_of(body: object) -> str:
    if is_mapping(body):
        error = body.get("error")
        if is_mapping(error) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if body.get("message"):
            return str(body["message"])
    return ""


def api_error_from_body(body: object, settings: Settings, headers: Mapping[str, str]) -> ModelError | None:
    """A `base_resp` with a non-zero status, which MiniMax sends even on HTTP 200."""
    if not is_mapping(body):
        return None
    base = body.get("base_resp")
    if is_mapping(base) and (status := base.get("status_code")) not in (None, 0):
        if not isinstance(status, str | int | float):
            return None  # what int() refuses with a TypeError
        try:
            code = int(status)
        except ValueError:
            return None
        return _from_code(code, str(base.get("status_msg") or ""), settings, trace_id(headers), None)
    return None


def error_from_response(status: int, text: str, headers: Mapping[str, str], settings: Settings) -> ModelError:
    trace = trace_id(headers)
    try:
        body: object = json.loads(text) if text else None
    except ValueError:
        body = None
    if (api := api_error_from_body(body, settings, headers)) is not None:
        api.status = status
        if status == 429:
            api.retryable, api.retry_after = True, retry_after_seconds(headers)
        return api
    detail = _message_of(body) or text[:300].strip() or httpx.codes.get_reason_phrase(status)

    def err(kind: str, message: str, retryable: bool = False) -> ModelError:
        return ModelError(
            message,
            code=kind,
            trace_id=trace,
            status=status,
            retryable=retryable,
            retry_after=retry_after_seconds(headers),
        )

    if status == 429:
        return err("rate_limited", f"Rate limited (HTTP 429: {detail}).", retryable=True)
    if status in (401, 403):
        return err(
            "auth", f"The server refused the API key (HTTP {status}: {detail}). {_region_hint(settings)}"
        )
    if status == 404:
        return err(
            "not_found",
            f"No model endpoint at {settings.endpoint} (HTTP 404). Check M2BRIDGE_BASE_URL and M2BRIDGE_API.",
        )
    if status == 413 or (status == 400 and any(word in detail.lower() for word in _CONTEXT_WORDS)):
        return err("context_overflow", f"The conversation no longer fits M2's context window ({detail}).")
    if status >= 500:
        return err("server", f"The model server failed (HTTP {status}: {detail}).", retryable=True)
    return err("invalid_params", f"The model server refused the request (HTTP {status}: {detail}).")


def error_from_transport(exc: Exception, settings: Settings) -> ModelError:
    url = settings.endpoint
    if isinstance(exc, httpx.ConnectTimeout):
        return ModelError(f"Timed out connecting to {url}.", code="timeout", retryable=True)
    if isinstance(exc, httpx.ReadTimeout):
        return ModelError(
            f"{url} sent nothing for {settings.read_timeout:.0f} s (read timeout).",
            code="timeout",
            retryable=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        return ModelError(f"Timed out talking to {url}.", code="timeout", retryable=True)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return ModelError(
            f"The connection to {url} broke mid-answer ({exc.__class__.__name__}); "
            "what arrived is kept, marked incomplete.",
            code="stream_cut",
            retryable=True,
        )
    return ModelError(
        f"Could not reach {url} ({exc.__class__.__name__}: {exc}). Check the network and MINIMAX_API_HOST.",
        code="connection",
        retryable=True,
    )
