"""The Starlette app: both model routes, each running auth, the history check, then one scripted step."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.fakes.minimax import anthropic_wire, openai_wire
from tests.fakes.minimax.checker import check_request
from tests.fakes.minimax.ledger import EmittedTurn
from tests.fakes.minimax.outlet import Outlet
from tests.fakes.minimax.rendering import Rendered
from tests.fakes.minimax.request_info import RequestInfo, WireProtocol
from tests.fakes.minimax.script import CallTools, Reply, Step
from tests.fakes.minimax.tool_rule import tool_definition_problems
from tests.fakes.minimax.trace import TraceIdMiddleware
from tests.fakes.minimax.usage import estimate_usage

if TYPE_CHECKING:
    from tests.fakes.minimax.fake import FakeMiniMax
    from tests.fakes.minimax.turns import Turn

INVALID_KEY = 2049
HISTORY_REJECTED = 2013
RATE_LIMITED = 1002
UNKNOWN_ERROR = 1000


def _parse(raw: bytes) -> tuple[dict[str, Any], str | None]:
    try:
        body = json.loads(raw)
    except ValueError as error:
        return {}, f"body is not JSON: {error}"
    return (body, None) if isinstance(body, dict) else ({}, "body must be a JSON object")


class ModelEndpoint:
    """A raw ASGI endpoint, because faults need the connection itself (pauses, hang-ups)."""

    def __init__(self, fake: FakeMiniMax, protocol: WireProtocol) -> None:
        self._fake = fake
        self._protocol = protocol
        self._wire = anthropic_wire if protocol == "anthropic" else openai_wire

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        raw = await request.body()
        outlet = Outlet(scope, receive, send)
        try:
            await self._handle(request, raw, outlet)
        finally:
            await outlet.close()

    async def _handle(self, request: Request, raw: bytes, outlet: Outlet) -> None:
        fake, error_body = self._fake, self._wire.error_body
        body, parse_problem = _parse(raw)
        headers = {k.lower(): v for k, v in request.headers.items()}
        info = RequestInfo(request.url.path, headers, body, self._protocol)
        number = fake.record_request(info)
        if not self._wire.authorized(headers, fake.api_key):
            await outlet.json(401, error_body(401, INVALID_KEY, "invalid api key"))
            return
        verdict = check_request(body, self._protocol, fake.ledger, accept_converted=fake.accept_converted)
        rules = tool_definition_problems(body, self._protocol)
        problems = [parse_problem] if parse_problem else rules + verdict.problems
        if problems:
            for problem in problems:
                fake.record_violation(f"{self._protocol} request #{number}: {problem}")
            message = "fake history check: " + "; ".join(problems)
            await outlet.json(400, error_body(400, HISTORY_REJECTED, message))
            return
        step = fake.take_step(info, number)
        if step is None:
            await outlet.json(500, error_body(500, UNKNOWN_ERROR, "unscripted request"))
            return
        await self._perform(step, body, verdict.parent, outlet)

    async def _perform(
        self, step: Step, body: dict[str, Any], parent: EmittedTurn | None, outlet: Outlet
    ) -> None:
        error_body = self._wire.error_body
        if isinstance(step, Reply | CallTools):
            await self._serve_turn(step, body, parent, outlet, cut_after=None)
        elif step.kind == "rate_limited":
            headers = {"retry-after": f"{step.retry_after:g}"}
            await outlet.json(429, error_body(429, RATE_LIMITED, "rate limit exceeded"), headers)
        elif step.kind == "server_error":
            await outlet.json(500, error_body(500, UNKNOWN_ERROR, "internal server error"))
        elif step.kind == "api_error":
            await outlet.json(step.http_status, error_body(step.http_status, step.code, step.message))
        elif step.kind == "raw_stream":
            await outlet.sse(list(step.frames), self._fake.token_delay)
        elif step.step is None:
            raise ValueError(f"{step.kind} fault needs a step to serve")
        elif step.kind == "cut_stream":
            await self._serve_turn(step.step, body, parent, outlet, cut_after=step.after_chunks)
        elif await outlet.pause(step.seconds):
            await self._perform(step.step, body, parent, outlet)

    def _render(self, step: Reply | CallTools, body: dict[str, Any]) -> tuple[Turn, Rendered]:
        fake = self._fake
        turn = fake.turn_factory.make(step, self._protocol)
        usage = estimate_usage(body, turn.generated_text())
        model = str(body["model"])
        if self._protocol == "anthropic":
            return turn, anthropic_wire.render(turn, model, usage, fake.chunk_size)
        mode = openai_wire.mode_for(body, fake.openai_thinking)
        return turn, openai_wire.render(turn, mode, model, usage, fake.chunk_size, fake.stream_style)

    async def _serve_turn(
        self,
        step: Reply | CallTools,
        body: dict[str, Any],
        parent: EmittedTurn | None,
        outlet: Outlet,
        cut_after: int | None,
    ) -> None:
        turn, rendered = self._render(step, body)
        self._fake.ledger.record(
            EmittedTurn(
                marker=turn.marker,
                thinking=turn.thinking,
                protocol=self._protocol,
                canonical=rendered.canonical,
                tool_ids=rendered.tool_ids,
                native_invokes=rendered.native_invokes,
                parent=parent.marker if parent else None,
                complete=cut_after is None,
            )
        )
        stream = rendered.stream
        if body.get("stream") is not True:
            await (outlet.json(200, rendered.body) if cut_after is None else outlet.hang_up())
        elif cut_after is None:
            await outlet.sse(stream.body + stream.final, self._fake.token_delay)
        else:
            # A cut never reaches the closing events, however large after_chunks is.
            await outlet.sse(stream.body[:cut_after], self._fake.token_delay, finish=False)
            await outlet.hang_up()


def build_app(fake: FakeMiniMax) -> Starlette:
    async def elsewhere(request: Request) -> JSONResponse:
        # A misbuilt URL should fail the test by name, not as a bare 404 deep inside the client.
        fake.record_violation(f"{request.method} {request.url.path}: no such endpoint on the fake")
        return JSONResponse({"base_resp": {"status_code": 1000, "status_msg": "not found"}}, status_code=404)

    return Starlette(
        routes=[
            Route("/anthropic/v1/messages", ModelEndpoint(fake, "anthropic"), methods=["POST"]),
            Route("/v1/chat/completions", ModelEndpoint(fake, "openai"), methods=["POST"]),
            # The bare host answers like a web server's front page: `doctor` probes reachability there.
            Route("/", lambda request: PlainTextResponse("fake MiniMax"), methods=["GET"]),
            Route("/{path:path}", elsewhere, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ],
        middleware=[Middleware(TraceIdMiddleware)],
    )
