import json
from pathlib import Path

import httpx
import pytest

from m2bridge.client.error_mapping import error_from_response, error_from_transport
from m2bridge.config import load_settings


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings({"M2BRIDGE_CONFIG": str(tmp_path / "none.toml")})


def base_resp(code: int, message: str) -> str:
    return json.dumps({"base_resp": {"status_code": code, "status_msg": message}})


def test_invalid_key_names_the_region_the_key_probably_belongs_to(settings):
    err = error_from_response(200, base_resp(2049, "invalid api key"), {"trace-id": "t-1"}, settings)
    assert err.code == "auth" and "api.minimaxi.com" in err.message and err.trace_id == "t-1"
    assert "t-1" in str(err)


def test_invalid_key_on_the_china_host_points_to_the_global_host(tmp_path):
    china = load_settings(
        {"M2BRIDGE_CONFIG": str(tmp_path / "x"), "MINIMAX_API_HOST": "https://api.minimaxi.com"}
    )
    err = error_from_response(401, base_resp(2049, "invalid api key"), {}, china)
    assert "https://api.minimax.io" in err.message


def test_empty_balance_says_so(settings):
    err = error_from_response(200, base_resp(1008, "insufficient balance"), {}, settings)
    assert err.code == "balance" and "balance is empty" in err.message and not err.retryable


def test_context_overflow_is_told_apart_from_other_invalid_params(settings):
    full = error_from_response(200, base_resp(2013, "context window exceeds limit"), {}, settings)
    other = error_from_response(200, base_resp(2013, "invalid params, temperature"), {}, settings)
    assert full.code == "context_overflow"
    assert other.code == "invalid_params" and "temperature" in other.message


@pytest.mark.parametrize("code", [1001, 1002, 1024, 1039])
def test_transient_api_codes_are_retryable(settings, code):
    assert error_from_response(200, base_resp(code, "x"), {}, settings).retryable


def test_http_429_keeps_retry_after(settings):
    err = error_from_response(429, "{}", {"retry-after": "3"}, settings)
    assert err.retryable and err.retry_after == 3.0


def test_server_errors_are_retryable_and_bad_requests_are_not(settings):
    assert error_from_response(503, "busy", {}, settings).retryable
    assert not error_from_response(400, '{"error": {"message": "bad tools"}}', {}, settings).retryable


def test_connection_failures_name_the_endpoint(settings):
    err = error_from_transport(httpx.ConnectError("refused"), settings)
    assert err.retryable and settings.endpoint in err.message


@pytest.mark.parametrize("value", ["soon", "Mon, 99 Foo 2026", "-", "\x00"])
def test_a_malformed_retry_after_is_ignored_not_a_crash(settings, value):
    err = error_from_response(429, "{}", {"retry-after": value}, settings)
    assert err.retryable and err.retry_after is None


def test_a_retry_after_date_is_read_as_seconds_from_now(settings):
    err = error_from_response(429, "{}", {"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}, settings)
    assert err.retry_after is not None and err.retry_after > 1e6
