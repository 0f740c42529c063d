"""MiniMax media API failures as messages that say what to do; the key never appears in them."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from m2bridge.client.error_mapping import trace_id
from m2bridge.config import CHINA_HOST, GLOBAL_HOST

__all__ = ["api_code_message", "region_hint", "trace_suffix"]


def trace_suffix(headers: Mapping[str, str]) -> str:
    value = trace_id(headers)
    return f" (Trace-Id: {value[:100]})" if value else ""


def region_hint(host: str) -> str:
    """A key only works on its own region's host: name the other one."""
    name = urlsplit(host).hostname or ""
    if name.endswith("minimaxi.com"):
        return (
            f"MINIMAX_API_HOST is the China host; a key from the global platform belongs to {GLOBAL_HOST} "
            f"(set MINIMAX_API_HOST={GLOBAL_HOST})."
        )
    if name.endswith("minimax.io"):
        return (
            f"MINIMAX_API_HOST is the global host; a key from the China platform belongs to {CHINA_HOST} "
            f"(set MINIMAX_API_HOST={CHINA_HOST})."
        )
    return (
        f"MINIMAX_API_HOST is {host}; a global-platform key works on {GLOBAL_HOST}, a China-platform key on "
        f"{CHINA_HOST}."
    )


def api_code_message(code: int, status_msg: str, host: str) -> str:
    detail = f"{code}: {status_msg}" if status_msg else str(code)
    if code == 2049:
        return f"MiniMax rejected the API key ({detail}). Check MINIMAX_API_KEY. {region_hint(host)}"
    if code == 1004:
        return f"MiniMax did not accept the API key ({detail}). Check MINIMAX_API_KEY. {region_hint(host)}"
    if code == 1008:
        return f"Your MiniMax account balance is empty ({detail}). Top up your MiniMax account, then retry."
    if code == 2038:
        return (
            f"MiniMax requires real-name verification for this account ({detail}). Complete real-name "
            "verification on the MiniMax platform (account / basic information), then retry."
        )
    if code == 2013:
        return f"MiniMax refused the request's parameters ({detail}). Fix them and try again."
    if code in (1026, 1027):
        return f"MiniMax flagged the content as sensitive ({detail}). Rephrase the input."
    if code in (1002, 1039):
        return f"Rate limited by MiniMax ({detail}). Wait a little and try again."
    if code in (1000, 1001, 1024):
        return f"MiniMax had an internal error or timed out ({detail}). Try again later."
    return f"MiniMax error {detail}."
