"""A client's mistakes against `m2bridge mcp` as its own process: answered with the spec's error codes, and
kept out of the server's log (no traceback, no warning); the server declares only what it serves.

The server has no prompts and no resources, so it does not declare those capabilities, and their methods
are answered -32601 Method not found: JSON-RPC's code for a method the server does not offer. (-32602
Invalid params is the prompts spec's code for an unknown prompt name, which applies only to a server that
serves prompts.)
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from mcp import Client
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

from tests.support.hostile_jsonrpc import MODERN_META, PROTOCOL_VERSION
from tests.support.mcp_clients import (
    PROTOCOL_MODES,
    http_client,
    http_server,
    server_env,
    stdio_params,
    text_of,
)
from tests.support.sandbox import Sandbox

METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
# What a client error must never leave in the server's log: a traceback, or a record at warning or above.
NOISE = ("Traceback", "WARNING", "ERROR", "CRITICAL")
COMPLETE = {"ref": {"type": "ref/prompt", "name": "no-such-prompt"}, "argument": {"name": "a", "value": "b"}}


def assert_quiet(log: str) -> None:
    found = [word for word in NOISE if word in log]
    assert not found, f"the server logged {found} for a client's mistake:\n{log[:3000]}"


@asynccontextmanager
async def connect(transport: str, mode: str, sandbox: Sandbox, log: list[str]) -> AsyncIterator[Client]:
    """A real client of the server process; once it is closed, `log` holds what the server wrote on stderr."""
    env = server_env(sandbox.home)
    if transport == "stdio":
        errlog = sandbox.base / "stdio-stderr.log"
        try:
            with open(errlog, "w") as sink:
                transport_ = stdio_client(stdio_params([sandbox.root], env), errlog=sink)
                async with Client(transport_, mode=mode) as client:
                    yield client
        finally:
            log.append(errlog.read_text())
        return
    with http_server([sandbox.root], env) as server:
        try:
            async with http_client(server, mode) as client:
                yield client
        finally:
            log.append(server.stderr_log.read_text())


async def declared(client: Client, mode: str) -> set[str]:
    """The capabilities the server declares: in its initialize result, or in server/discover from 2026
    (read raw: the typed `discover()` keeps what the client's first probe saw)."""
    if mode == "legacy":
        return set(client.server_capabilities.model_dump(exclude_none=True))
    return set((await client.session.send_discover(mode))["capabilities"])


async def error_code(call: Any) -> int:
    with pytest.raises(MCPError) as raised:
        await call
    return raised.value.error.code


@pytest.mark.parametrize("mode", PROTOCOL_MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_prompts_and_resources_are_not_declared_and_their_methods_are_not_found(
    sandbox: Sandbox, transport: str, mode: str
) -> None:
    log: list[str] = []
    async with connect(transport, mode, sandbox, log) as client:
        assert await declared(client, mode) == {"tools"}
        assert await error_code(client.get_prompt("no-such-prompt")) == METHOD_NOT_FOUND
        assert await error_code(client.list_prompts()) == METHOD_NOT_FOUND
        assert await error_code(client.list_resources()) == METHOD_NOT_FOUND
        assert await error_code(client.list_resource_templates()) == METHOD_NOT_FOUND
        assert await error_code(client.read_resource("file:///etc/passwd")) == METHOD_NOT_FOUND
        # Still serving: a real call after the errors works.
        result = await client.call_tool("read_file", {"path": "hello.py"})
        assert not result.is_error and "print('hello')" in text_of(result)
    assert_quiet(log[0])


@pytest.mark.parametrize("mode", PROTOCOL_MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_an_unknown_tool_and_bad_arguments_are_tool_errors_and_leave_no_trace_in_the_log(
    sandbox: Sandbox, transport: str, mode: str
) -> None:
    log: list[str] = []
    async with connect(transport, mode, sandbox, log) as client:
        for name, arguments, said in [
            ("no_such_tool", {}, "Unknown tool: no_such_tool"),
            ("read_file", {"path": 3}, "read_file: invalid arguments: path"),
            ("read_file", {}, "read_file: invalid arguments: path: Field required"),
            ("read_file", {"path": "hello.py", "offset": "many"}, "read_file: invalid arguments"),
            ("read_file", {"path": "../outside/secret.txt"}, "outside the allowed roots"),
        ]:
            result = await client.call_tool(name, arguments)
            assert result.is_error and said in text_of(result), f"{name} {arguments}: {text_of(result)}"
    assert_quiet(log[0])


class RawStdio:
    """The server over stdio with raw JSON lines, for the mistakes the SDK's client will not make."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.answers: dict[int, dict[str, Any]] = {}
        assert process.stdout is not None
        self._lines = TextReceiveStream(process.stdout)
        self._buffer = ""

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send((json.dumps(message) + "\n").encode())

    async def answer(self, id: int) -> dict[str, Any]:
        with anyio.fail_after(30):
            while id not in self.answers:
                self._buffer += await self._lines.receive()
                while "\n" in self._buffer:
                    line, self._buffer = self._buffer.split("\n", 1)
                    message = json.loads(line)
                    if "id" in message and isinstance(message["id"], int):
                        self.answers[message["id"]] = message
        return self.answers[id]


@asynccontextmanager
async def raw_server(sandbox: Sandbox, log: list[str]) -> AsyncIterator[RawStdio]:
    params = stdio_params([sandbox.root], server_env(sandbox.home))
    errlog = sandbox.base / "raw-stderr.log"
    with open(errlog, "w") as sink:
        async with await anyio.open_process(
            [sys.executable, *params.args], env=params.env, cwd=params.cwd, stderr=sink
        ) as process:
            try:
                yield RawStdio(process)
            finally:
                assert process.stdin is not None
                await process.stdin.aclose()
                with anyio.fail_after(20):
                    await process.wait()
    log.append(Path(errlog).read_text())


def request(id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


async def test_requests_and_notifications_a_client_gets_wrong_are_answered_and_not_logged(
    sandbox: Sandbox,
) -> None:
    log: list[str] = []
    async with raw_server(sandbox, log) as server:
        init = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        }
        await server.send(request(1, "initialize", init))
        assert "result" in await server.answer(1)
        await server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        # Notifications with malformed params are dropped, as JSON-RPC allows: nothing to answer or log.
        for method, params in [("progress", {"progress": "x"}), ("cancelled", {"requestId": {}})]:
            await server.send({"jsonrpc": "2.0", "method": f"notifications/{method}", "params": params})
        expected = {
            2: (request(2, "no/such/method"), METHOD_NOT_FOUND),
            3: (request(3, "prompts/get", {"name": "no-such-prompt"}), METHOD_NOT_FOUND),
            4: (request(4, "resources/read", {"uri": "file:///etc/passwd"}), METHOD_NOT_FOUND),
            5: (request(5, "completion/complete", COMPLETE), METHOD_NOT_FOUND),
            6: (request(6, "tools/call", {"arguments": {}}), INVALID_PARAMS),
            7: (request(7, "tools/call", {"name": "read_file", "arguments": "hello.py"}), INVALID_PARAMS),
            8: (request(8, "tools/list", {"cursor": 5}), INVALID_PARAMS),
            9: (request(9, "logging/setLevel", {"level": "debug"}), METHOD_NOT_FOUND),
            10: (request(10, "resources/subscribe", {"uri": "file:///x"}), METHOD_NOT_FOUND),
        }
        for message, _ in expected.values():
            await server.send(message)
        for id, (message, code) in expected.items():
            answer = await server.answer(id)
            assert answer.get("error", {}).get("code") == code, f"{message['method']}: {answer}"
        await server.send(request(12, "ping"))
        assert "result" in await server.answer(12)
    assert_quiet(log[0])


async def test_a_forged_request_state_is_refused_and_not_logged(sandbox: Sandbox) -> None:
    # A 2026-07-28 request (no handshake) with a requestState this server never sealed.
    log: list[str] = []
    forged = {"name": "read_file", "arguments": {"path": "hello.py"}, "requestState": "forged"}
    async with raw_server(sandbox, log) as server:
        await server.send(request(1, "tools/call", {**forged, "_meta": MODERN_META}))
        answer = await server.answer(1)
        assert answer.get("error", {}).get("code") == INVALID_PARAMS, answer
        await server.send(request(2, "tools/list", {"_meta": MODERN_META}))
        assert "result" in await server.answer(2)
    assert_quiet(log[0])
