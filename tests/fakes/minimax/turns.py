"""Generating a scripted assistant turn: thinking, signature, text and tool calls with fresh ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

from tests.fakes.minimax.request_info import WireProtocol
from tests.fakes.minimax.script import CallTools, Reply

MARKER_PATTERN = re.compile(r"\[turn (t\d+)\]")
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        # The exact text the model "wrote"; clients must echo this string, not a re-serialisation.
        return json.dumps(self.arguments)


@dataclass(frozen=True)
class Turn:
    """The protocol-neutral content of one assistant turn."""

    marker: str
    thinking: str
    signature: str
    text: str
    tool_calls: tuple[ToolCall, ...]

    def generated_text(self) -> str:
        return self.thinking + self.text + "".join(c.name + c.arguments_json for c in self.tool_calls)


def default_thinking(marker: str) -> str:
    """Thinking that breaks under any strip, unescape, normalisation or re-encoding."""
    return (
        f"  [turn {marker}] Let me work out the next step.  \n"
        "Compare a < b && b > c; keep \"double\" and 'single' quotes; path C:\\tmp\\new\\x.\n"
        "\n"
        "   Unicode stays: café, naïve, 中文思考, emoji 🤖🧠 — and an &amp; that is not an entity.\n"
        "\tTab-indented line with trailing spaces   \n"
    )


def unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


class TurnFactory:
    """Makes turns with per-fake numbering and a per-fake signing secret."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def sign(self, thinking: str) -> str:
        digest = hmac.new(self._secret, thinking.encode("utf-8"), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def make(self, step: Reply | CallTools, protocol: WireProtocol) -> Turn:
        with self._lock:
            marker = f"t{next(self._numbers)}"
        thinking = default_thinking(marker) if step.thinking is None else step.thinking
        prefix = "toolu_" if protocol == "anthropic" else "call_"
        calls: tuple[ToolCall, ...] = ()
        if isinstance(step, CallTools):
            # A JSON round trip detaches the arguments from the test's own (mutable) dicts.
            calls = tuple(
                ToolCall(unique_id(prefix), name, json.loads(json.dumps(args))) for name, args in step.calls
            )
        return Turn(marker, thinking, self.sign(thinking), step.text, calls)
