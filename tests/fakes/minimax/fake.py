"""FakeMiniMax: the scripted, history-checking stand-in for MiniMax's model HTTP API."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, get_args

from tests.fakes.local_fake import LocalFake
from tests.fakes.minimax.app import build_app
from tests.fakes.minimax.ledger import EmittedTurn, Ledger
from tests.fakes.minimax.openai_wire import OpenAIThinking, StreamStyle
from tests.fakes.minimax.request_info import RequestInfo
from tests.fakes.minimax.script import CallTools, Fault, Reply, Step
from tests.fakes.minimax.turns import TurnFactory

Responder = Callable[[RequestInfo], Step]


class FakeMiniMax(LocalFake):
    """Real HTTP on 127.0.0.1; each model request consumes one scripted step (or asks `responder`)."""

    def __init__(
        self,
        api_key: str = "test-key",
        openai_thinking: OpenAIThinking = "think_tags",
        stream_style: StreamStyle = "incremental",
    ) -> None:
        if openai_thinking not in get_args(OpenAIThinking):
            raise ValueError(f"openai_thinking must be one of {get_args(OpenAIThinking)}")
        if stream_style not in get_args(StreamStyle):
            raise ValueError(f"stream_style must be one of {get_args(StreamStyle)}")
        self.api_key = api_key
        self.openai_thinking: OpenAIThinking = openai_thinking
        self.stream_style: StreamStyle = stream_style
        self.token_delay = 0.0
        # A session that switched protocol sends earlier turns converted, not verbatim; tests of that opt in.
        self.accept_converted = False
        self.chunk_size = 8
        self.responder: Responder | None = None
        self.requests: list[RequestInfo] = []
        self.violations: list[str] = []
        self.ledger = Ledger()
        self.turn_factory = TurnFactory()
        self._queue: deque[Step] = deque()
        self._lock = threading.Lock()

    def _build_app(self) -> Any:
        return build_app(self)

    @property
    def anthropic_base(self) -> str:
        return self.host + "/anthropic"

    @property
    def openai_base(self) -> str:
        return self.host + "/v1"

    # --- scripting ---------------------------------------------------------------------------

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._queue.extend(steps)

    @property
    def pending(self) -> int:
        """Scripted steps not consumed yet."""
        with self._lock:
            return len(self._queue)

    @property
    def turns(self) -> list[EmittedTurn]:
        """Every assistant turn emitted so far, oldest first, with its canonical message."""
        return self.ledger.all()

    # --- called by the app, on the server thread ---------------------------------------------

    def record_request(self, info: RequestInfo) -> int:
        with self._lock:
            self.requests.append(info)
            return len(self.requests)

    def record_violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def take_step(self, info: RequestInfo, number: int) -> Step | None:
        """The next queued step, else the responder's; None (and a violation) when there is neither."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        where = f"{info.protocol} request #{number}"
        if self.responder is None:
            self.record_violation(f"{where}: unscripted request (the script queue is empty)")
            return None
        try:
            step = self.responder(info)
        except Exception as error:
            self.record_violation(f"{where}: unscripted request (responder raised {error!r})")
            return None
        if not isinstance(step, Reply | CallTools | Fault):
            self.record_violation(f"{where}: unscripted request (responder returned {step!r})")
            return None
        return step
