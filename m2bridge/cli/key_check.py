"""`doctor`'s key check: one minimal real model request, and a verdict a user can act on.

The request goes through the same `ModelClient` that chat uses, so the check exercises the real
auth headers, host and endpoint logic rather than a copy of them. It asks for one token with a
one-word prompt (the smallest request the API accepts), is never retried, and is the only model
request `doctor` makes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.config import CHINA_HOST, GLOBAL_HOST, Settings
from m2bridge.errors import ModelError
from m2bridge.messages import UserTurn

__all__ = ["PROBE_MAX_TOKENS", "KeyVerdict", "check_key", "region_advice"]

PROBE_MAX_TOKENS = 1
_PROBE_PROMPT = "Hi"
# A one-token answer comes back in seconds; a server silent for this long will not help a chat either.
_PROBE_READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class KeyVerdict:
    ok: bool
    message: str
    # Round trip of the one request, when the server answered at all.
    elapsed_ms: int | None = None


def region_advice(settings: Settings) -> str:
    """What to try when a MiniMax host rejects the key: the other region's host, named exactly."""
    if settings.region == "global":
        return f"if it is from the China platform set MINIMAX_API_HOST={CHINA_HOST}"
    if settings.region == "China":
        return f"if it is from the global platform set MINIMAX_API_HOST={GLOBAL_HOST}"
    return (
        f"a key only works on its own region's host: MINIMAX_API_HOST={GLOBAL_HOST} for global keys, "
        f"MINIMAX_API_HOST={CHINA_HOST} for keys from the China platform"
    )


def _where(settings: Settings) -> str:
    return settings.base_url if settings.base_url is not None else settings.host


_API_WORDS = {2049: "2049 invalid api key", 1004: "1004 not authorized"}


def _rejected(settings: Settings, err: ModelError) -> str:
    why = _API_WORDS.get(err.api_code or 0, f"HTTP {err.status}")
    if settings.base_url is not None:
        return f"the server at {settings.base_url} refused M2BRIDGE_API_KEY ({why}): check the key it expects"
    return f"the key is not valid on {settings.host} ({why}); {region_advice(settings)}"


# Transport failures: the server never answered, so there is no verdict on the key.
_NO_ANSWER = frozenset({"connection", "timeout", "stream_cut"})


def _unreachable(settings: Settings, err: ModelError) -> str:
    setting = "M2BRIDGE_BASE_URL" if settings.base_url is not None else "MINIMAX_API_HOST"
    if err.code != "connection":
        return f"{settings.endpoint} did not answer: {err.message}"
    cause = err.__cause__
    detail = f"{type(cause).__name__}: {cause}" if cause is not None else err.message
    return f"cannot reach {settings.endpoint} ({detail}): check the network and {setting}"


def _verdict(settings: Settings, err: ModelError, elapsed_ms: int) -> KeyVerdict:
    if err.status is None and err.api_code is None and err.code in _NO_ANSWER:
        # Nothing answered: one line naming the address, and no round trip to report.
        return KeyVerdict(False, _unreachable(settings, err))
    trace = f" (MiniMax Trace-Id: {err.trace_id})" if err.trace_id else ""
    if err.code == "auth":
        return KeyVerdict(False, _rejected(settings, err) + trace, elapsed_ms)
    if err.code == "balance":
        return KeyVerdict(
            False,
            "the key is valid but the account balance is empty (1008): "
            f"top it up on the MiniMax platform{trace}",
            elapsed_ms,
        )
    return KeyVerdict(False, f"key check failed: {err}", elapsed_ms)


async def check_key(settings: Settings) -> KeyVerdict:
    """Send one minimal request with the configured key and protocol; never raises ModelError."""
    probe = replace(settings, max_retries=0, read_timeout=min(settings.read_timeout, _PROBE_READ_TIMEOUT))
    request = ModelRequest(system="", turns=[UserTurn(text=_PROBE_PROMPT)], max_tokens=PROBE_MAX_TOKENS)
    started = time.perf_counter()
    try:
        async with ModelClient(probe) as client:
            await client.exchange(request, stream=False).run()
    except ModelError as err:
        return _verdict(settings, err, round((time.perf_counter() - started) * 1000))
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    return KeyVerdict(
        True,
        f"key works: {settings.model} at {_where(settings)} answered in {elapsed_ms} ms "
        f"({settings.api} protocol, max_tokens {PROBE_MAX_TOKENS})",
        elapsed_ms,
    )
