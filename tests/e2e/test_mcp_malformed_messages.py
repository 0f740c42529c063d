"""Over a thousand broken or hostile JSON-RPC messages, over stdio and over HTTP: the server answers every
well-formed request (with an error wherever one is due), refuses the rest without a 5xx, never lets a path
or an option leave the root, logs no traceback, and keeps serving: a plain request every hundred hostile
messages is answered at once, and a real tool call works at the end.

The messages come from tests/support/hostile_jsonrpc.py, built from a fixed seed.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.hostile_jsonrpc import (
    MODERN_META,
    MODERN_VERSION,
    PROTOCOL_VERSION,
    TRAP_MARK,
    Hostile,
    HostileMessages,
    RequestId,
    dumps,
    initialize_request,
    request,
)
from tests.support.mcp_clients import HttpServer, http_server, server_env
from tests.support.sandbox import SECRET, Sandbox

MESSAGES = 1_100
PROBE_EVERY = 100
PROBE_TIMEOUT = 10.0
LEAKS = (SECRET, "root:x:0:0")
PROBE_IDS = iter(range(1_000_000, 2_000_000))
# What the SDK logs when a tool raises instead of returning its error ("Tool 'x' raised an unexpected
# exception", wrapped anywhere after the name by the log's fixed width).
TOOL_CRASH = re.compile(r"Tool '(\w+)' raised")


def _server_output(path: Path) -> bool:
    """The HTTP server's own stderr and stdout files (tests/support/mcp_clients.http_server)."""
    return path.match("mcp-http-*.log") or path.match("mcp-http-*.out")


@dataclass(frozen=True)
class Workspace:
    """The shared sandbox, seen from outside: after the run, nothing outside the root may have changed."""

    sandbox: Sandbox
    before: dict[str, bytes]

    @property
    def root(self) -> Path:
        return self.sandbox.root

    @property
    def home(self) -> Path:
        return self.sandbox.home

    def messages(self, seed: int) -> HostileMessages:
        outside_file = str(self.sandbox.outside / "secret.txt")
        return HostileMessages(seed, outside_file=outside_file, trap_dir=str(self.sandbox.outside))

    def assert_nothing_escaped(self) -> None:
        escaped = [str(p) for p in self.sandbox.base.rglob(f"*{TRAP_MARK}*")]
        assert not escaped, f"a write or an injected option left the root: {escaped}"
        after = self.sandbox.outside_snapshot()
        changed = sorted(
            k
            for k in {*self.before, *after}
            if self.before.get(k) != after.get(k) and not _server_output(Path(k))
        )
        assert not changed, f"files outside the root changed: {changed}"


@pytest.fixture
def workspace(sandbox: Sandbox) -> Workspace:
    return Workspace(sandbox, sandbox.outside_snapshot())


def is_error_answer(answer: dict[str, Any]) -> bool:
    result = answer.get("result")
    return "error" in answer or (isinstance(result, dict) and result.get("isError") is True)


def leaks_in(raw: bytes | str) -> list[str]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return [leak for leak in LEAKS if leak in text]


def log_excerpt(log: str, lines: int = 60) -> str:
    """The server's log from its first error on, without the walls of filler a huge hostile path makes."""
    kept = [line[:160] for line in log.splitlines() if not re.fullmatch(r"[\s│]*a{20,}[\s│]*", line)]
    first = next((i for i, line in enumerate(kept) if "ERROR" in line or "Traceback" in line), 0)
    return "\n".join(kept[first : first + lines])


@dataclass
class Tally:
    """What came back for the hostile messages of one transport."""

    sent: int = 0
    owed: Counter[str] = field(default_factory=Counter)  # kind -> well-formed requests sent
    error_answers: int = 0
    result_answers: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # HTTP status -> count
    failures: list[str] = field(default_factory=list)

    def owe(self, message: Hostile) -> None:
        self.owed[message.kind] += 1

    def answered(self, message: Hostile, answer: dict[str, Any], label: str) -> None:
        if is_error_answer(answer):
            self.error_answers += 1
            return
        self.result_answers += 1
        if message.must_fail:
            self.failures.append(f"{label}: must fail, got a result: {json.dumps(answer)[:300]}")

    def summary(self) -> str:
        return (
            f"{self.sent} hostile messages, {sum(self.owed.values())} owed an answer: "
            f"{self.error_answers} error answers, {self.result_answers} results; "
            f"HTTP refusals {dict(sorted(self.refusals.items()))}"
        )

    def assert_clean(self, log: str) -> None:
        tracebacks = log.count("Traceback")
        if tracebacks or TOOL_CRASH.search(log):
            crashed = dict(Counter(TOOL_CRASH.findall(log)))
            self.failures.append(f"{tracebacks} tracebacks in the server's log; tools that raised: {crashed}")
        assert not self.failures, (
            f"{len(self.failures)} failures; {self.summary()}\n"
            + "\n".join(self.failures[:40])
            + f"\n--- server log ---\n{log_excerpt(log)}"
        )


# -- stdio ------------------------------------------------------------------------------------------------


class StdioPeer:
    """The server as a child process: raw lines in, JSON lines out, each pipe served by its own thread."""

    def __init__(self, workspace: Workspace) -> None:
        args = [sys.executable, "-m", "m2bridge", "mcp", "--root", str(workspace.root)]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=server_env(workspace.home),
            cwd=workspace.root,
            start_new_session=True,
        )
        self.answers: dict[RequestId | None, list[dict[str, Any]]] = {}
        self.noise: list[bytes] = []  # stdout lines that are neither answers nor notifications
        self.stderr = bytearray()
        self.leaks: list[str] = []
        self._changed = threading.Condition()
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=target, daemon=True)
            for target in (self._read_stdout, self._read_stderr, self._write_stdin)
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.leaks += leaks_in(line)
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            with self._changed:
                if isinstance(message, dict) and ("result" in message or "error" in message):
                    self.answers.setdefault(message.get("id"), []).append(message)
                elif not (isinstance(message, dict) and "method" in message):
                    self.noise.append(line)
                self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := self.process.stderr.read1(65536):
            self.stderr += chunk

    def _write_stdin(self) -> None:
        # Writes happen here, so a server that stops reading shows up as a probe timing out, not a hang.
        assert self.process.stdin is not None
        while (line := self._outbox.get()) is not None:
            try:
                self.process.stdin.write(line)
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
        self.process.stdin.close()

    @property
    def log(self) -> str:
        return bytes(self.stderr).decode("utf-8", "replace")

    def send(self, body: bytes) -> None:
        self._outbox.put(body + b"\n")

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return done()
                self._changed.wait(min(left, 0.5))
        return True

    def wait_for(self, ids: set[RequestId], timeout: float) -> set[RequestId]:
        """Wait until every id has an answer; return those still missing."""
        self.wait_until(lambda: all(i in self.answers for i in ids), timeout)
        with self._changed:
            return {i for i in ids if i not in self.answers}

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        id = next(PROBE_IDS)
        self.send(dumps(request(method, params, id)))
        missing = self.wait_for({id}, PROBE_TIMEOUT)
        exited = self.process.poll()
        assert not missing, (
            f"no answer to {method} in {PROBE_TIMEOUT}s (exit {exited})\n{log_excerpt(self.log)}"
        )
        return self.answers[id][0]

    def initialize(self) -> None:
        init = self.call("initialize", initialize_request(0)["params"])
        assert init.get("result", {}).get("protocolVersion") == PROTOCOL_VERSION, init
        self.send(dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def stop(self) -> int | None:
        """Close stdin (EOF ends the server), then the pipes; the exit code, None if it had to be killed."""
        self._outbox.put(None)
        try:
            code: int | None = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        for thread in self._threads:
            thread.join(5)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):  # stdin may still hold bytes for a dead reader
                    pipe.close()
        return code


@pytest.fixture
def stdio_peer(workspace: Workspace) -> Iterator[StdioPeer]:
    peer = StdioPeer(workspace)
    try:
        yield peer
    finally:
        peer.stop()


def before_initialize(messages: HostileMessages) -> list[Hostile]:
    """Requests and a notification sent before the handshake: each request is still owed an answer."""
    calls = [
        request("ping", id=messages.fresh_id()),
        request("tools/list", id=messages.fresh_id()),
        request(
            "tools/call",
            {"name": "read_file", "arguments": {"path": "../../etc/passwd"}},
            messages.fresh_id(),
        ),
        request("no/such/method", id=messages.fresh_id()),
        request("initialize", {}, messages.fresh_id()),
        request("initialize", {"protocolVersion": 5}, messages.fresh_id()),
    ]
    early = [Hostile("before initialize", dumps(m), answer_id=m["id"]) for m in calls]
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    return [Hostile("before initialize", dumps(initialized)), *early]


def test_stdio_answers_a_thousand_hostile_messages_and_keeps_serving(
    workspace: Workspace, stdio_peer: StdioPeer
) -> None:
    started = time.monotonic()
    messages = workspace.messages(seed=20240601)
    early = before_initialize(messages)
    for message in early:
        stdio_peer.send(message.body)
    owed_early = {m.answer_id for m in early if m.answer_id is not None}
    missing = stdio_peer.wait_for(owed_early, PROBE_TIMEOUT)
    assert not missing, (
        f"requests before initialize went unanswered: {missing}\n{log_excerpt(stdio_peer.log)}"
    )
    stdio_peer.initialize()

    hostile = messages.take(MESSAGES)
    tally = Tally(sent=len(early) + len(hostile))
    for i, message in enumerate(hostile, start=1):
        stdio_peer.send(message.body)
        if i % PROBE_EVERY == 0:
            listed = stdio_peer.call("tools/list")
            names = {tool["name"] for tool in listed.get("result", {}).get("tools", [])}
            assert "read_file" in names, f"tools/list after {i} hostile messages: {listed}"

    # stdio splits at line ends: a body over several lines is several broken lines, owed nothing.
    owed = {m.answer_id: m for m in [*early, *hostile] if m.answer_id is not None and m.one_line}
    missing = stdio_peer.wait_for(set(owed), 30)
    for id, message in owed.items():
        tally.owe(message)
        label = f"{message.kind}: {message.body[:200]!r}"
        if id in missing:
            tally.failures.append(f"{label}: no answer")
        else:
            tally.answered(message, stdio_peer.answers[id][0], label)
    tally.assert_clean(stdio_peer.log)

    read = stdio_peer.call("tools/call", {"name": "read_file", "arguments": {"path": "hello.py"}})
    assert "print('hello')" in json.dumps(read.get("result")), read
    assert stdio_peer.process.poll() is None, "the server exited"
    assert not stdio_peer.noise, f"stdout carried more than JSON-RPC: {stdio_peer.noise[:5]}"
    assert not stdio_peer.leaks, f"an answer carried a file from outside the root: {stdio_peer.leaks}"
    workspace.assert_nothing_escaped()
    assert tally.sent >= 1_000
    assert stdio_peer.stop() == 0, f"the server did not stop cleanly at EOF\n{log_excerpt(stdio_peer.log)}"
    print(f"stdio: {tally.summary()}; {time.monotonic() - started:.1f}s")


# One component over NAME_MAX, a folder then one, and a path over PATH_MAX: the file system refuses each
# with ENAMETOOLONG, which the tool must turn into its own error rather than raise.
TOO_LONG = ("a" * 300, "sub/" + "b" * 300 + "/c", "c" * 5_000)


def long_path_calls(path: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("read_file", {"path": path}),
        ("list_dir", {"path": path}),
        ("find_files", {"pattern": "*", "path": path}),
        ("search", {"pattern": ".", "path": path}),
        ("write_file", {"path": path, "content": "x"}),
        ("edit_file", {"path": path, "old_string": "x", "new_string": "y"}),
        ("git_status", {"repo_path": path}),
        ("git_diff", {"paths": [path]}),
        ("git_log", {"paths": [path]}),
        ("git_show", {"revision": "HEAD", "paths": [path]}),
        ("git_blame", {"path": path}),
        ("run_command", {"command": "true", "cwd": path}),
        ("start_process", {"command": "true", "cwd": path}),
    ]


def test_a_path_too_long_for_the_file_system_is_the_tools_own_error_not_a_crash(
    stdio_peer: StdioPeer,
) -> None:
    stdio_peer.initialize()
    crashed = []
    for path in TOO_LONG:
        for name, arguments in long_path_calls(path):
            answer = stdio_peer.call("tools/call", {"name": name, "arguments": arguments})
            text = json.dumps(answer)
            content = answer.get("result", {}).get("content") or [{}]
            own = str(content[0].get("text", "")).startswith(f"{name}:")
            if not (is_error_answer(answer) and own):
                crashed.append(f"{name} with a {len(path)}-character path: {text[:200]}")
    crashes = len(TOOL_CRASH.findall(stdio_peer.log))
    assert not crashed and not crashes, (
        f"{len(crashed)} calls were not the tool's own error, {crashes} tool crashes logged:\n"
        + "\n".join(crashed)
        + f"\n--- server log ---\n{log_excerpt(stdio_peer.log, 40)}"
    )


def test_stdio_answers_an_unparseable_line_with_a_json_rpc_error(stdio_peer: StdioPeer) -> None:
    # The SDK's stdio transport (2.3.0) drops such lines; mcp_tools.server.stdio answers them.
    stdio_peer.initialize()
    broken = [b"[1,", b"{]", b"{}", b"[]", b'{"jsonrpc":"1.0","method":"ping","id":null}']
    for line in broken:
        stdio_peer.send(line)
    stdio_peer.call("ping")  # the lines before it have been read by now
    stdio_peer.wait_until(lambda: len(stdio_peer.answers.get(None, [])) >= len(broken), 1)
    errors = [a for a in stdio_peer.answers.get(None, []) if "error" in a]
    assert len(errors) == len(broken), f"{len(errors)} errors for {len(broken)} broken lines"
    # Not JSON at all: -32700; JSON but not a JSON-RPC message: -32600.
    assert [e["error"]["code"] for e in errors] == [-32700, -32700, -32600, -32600, -32600]


# -- HTTP -------------------------------------------------------------------------------------------------


class HttpPeer:
    """One client of the HTTP server, with an initialized legacy session for most messages."""

    def __init__(self, server: HttpServer, log_dir: Path) -> None:
        self.server = server
        self.log_dir = log_dir
        self.http = httpx.Client(timeout=httpx.Timeout(10.0))
        self.base = {
            "authorization": f"Bearer {server.token}",
            "accept": "application/json, text/event-stream",
            "content-type": "application/json",
        }
        self.leaks: list[str] = []
        opened = self.post(dumps(initialize_request(0)), self.base)
        assert opened.status_code == 200, opened.text
        self.session = {
            **self.base,
            "mcp-session-id": opened.headers["mcp-session-id"],
            "mcp-protocol-version": PROTOCOL_VERSION,
        }
        initialized = self.post(
            dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}), self.session
        )
        assert initialized.status_code == 202, initialized.text

    @property
    def log(self) -> str:
        """The server's stderr, which http_server sends to a file beside the data folder."""
        logs = sorted(self.log_dir.glob("mcp-http-*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace") if logs else ""

    def post(self, body: bytes, headers: dict[str, str], url: str | None = None) -> httpx.Response:
        response = self.http.post(url or self.server.url, content=body, headers=headers)
        self.leaks += leaks_in(response.content)
        return response

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        id = next(PROBE_IDS)
        response = self.post(dumps(request(method, params, id)), self.session)
        assert response.status_code == 200, f"{method}: {response.status_code} {response.text[:500]}"
        answers = [a for a in messages_in(response) if a.get("id") == id]
        assert answers, f"{method}: no answer in {response.text[:500]}"
        return answers[0]


@pytest.fixture
def http_peer(workspace: Workspace) -> Iterator[HttpPeer]:
    with http_server([workspace.root], server_env(workspace.home)) as server:
        peer = HttpPeer(server, workspace.home.parent)
        try:
            yield peer
        finally:
            peer.http.close()


def messages_in(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages in a response, whether plain JSON or an SSE stream."""
    if not response.content:
        return []
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        # SSE lines end at CR, LF or CRLF only: str.splitlines would also cut at a U+2028 inside the JSON.
        lines = re.split(r"\r\n|\r|\n", response.text)
        chunks = [line[5:].strip() for line in lines if line.startswith("data:")]
    else:
        chunks = [response.text]
    found: list[dict[str, Any]] = []
    for chunk in chunks:
        try:
            decoded = json.loads(chunk)
        except ValueError:
            continue
        found += [m for m in (decoded if isinstance(decoded, list) else [decoded]) if isinstance(m, dict)]
    return found


def lane_for(index: int) -> str:
    """Most messages go to the established session; some to the 2026-07-28 path and some with no session."""
    return {0: "sessionless", 3: "modern", 6: "modern"}.get(index % 10, "session")


def modern_request(message: Hostile, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The 2026-07-28 path: the envelope in `_meta` (when the request has none) and the routing headers."""
    headers = {**headers, "mcp-protocol-version": MODERN_VERSION}
    decoded = message.request
    if decoded is None or not isinstance(decoded.get("method"), str):
        return message.body, headers
    method, params = decoded["method"], decoded.get("params")
    if _header_safe(method):
        headers["mcp-method"] = method
    if isinstance(params, dict) and isinstance(params.get("name"), str) and _header_safe(params["name"]):
        headers["mcp-name"] = params["name"]
    if params is None or (isinstance(params, dict) and "_meta" not in params):
        decoded["params"] = {**(params or {}), "_meta": MODERN_META}
        return dumps(decoded), headers
    return message.body, headers


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) < 1000 and value.strip() == value


def http_oddities(peer: HttpPeer) -> list[tuple[str, str, dict[str, str | bytes], bytes, str | None]]:
    """HTTP-level abuse: (label, method, headers, body, url). Most are refused with a 4xx; a few are
    leniently served (no Accept header, a query string), which is fine: none may get a 5xx."""
    ping = dumps(request("ping", id=1))
    base, session = peer.base, peer.session
    url = peer.server.url
    return [
        ("text/plain", "POST", {**session, "content-type": "text/plain"}, ping, None),
        ("no content-type", "POST", {k: v for k, v in session.items() if k != "content-type"}, ping, None),
        ("json-ish content-type", "POST", {**session, "content-type": "application/jsonx"}, ping, None),
        (
            "form content-type",
            "POST",
            {**session, "content-type": "application/x-www-form-urlencoded"},
            b"a=1",
            None,
        ),
        ("no accept", "POST", {k: v for k, v in session.items() if k != "accept"}, ping, None),
        ("accept html", "POST", {**session, "accept": "text/html"}, ping, None),
        ("empty body", "POST", session, b"", None),
        ("empty body, no session", "POST", base, b"", None),
        ("4.5 MB body", "POST", session, b'{"x":"' + b"a" * (4_500_000) + b'"}', None),
        ("gzip that is not", "POST", {**session, "content-encoding": "gzip"}, ping, None),
        ("GET, no session", "GET", base, b"", None),
        ("GET, bogus session", "GET", {**base, "mcp-session-id": "bogus"}, b"", None),
        ("DELETE, no session", "DELETE", base, b"", None),
        ("DELETE, bogus session", "DELETE", {**base, "mcp-session-id": "0" * 32}, b"", None),
        ("PUT", "PUT", session, ping, None),
        ("PATCH", "PATCH", session, ping, None),
        ("OPTIONS", "OPTIONS", session, b"", None),
        ("HEAD, no session", "HEAD", base, b"", None),
        ("POST, bogus session", "POST", {**session, "mcp-session-id": "bogus"}, ping, None),
        ("POST, 10 KB session id", "POST", {**session, "mcp-session-id": "s" * 10_000}, ping, None),
        ("POST, latin-1 session id", "POST", {**session, "mcp-session-id": b"\xe9\xff\x80"}, ping, None),
        ("protocol version garbage", "POST", {**session, "mcp-protocol-version": "garbage"}, ping, None),
        ("protocol version empty", "POST", {**session, "mcp-protocol-version": ""}, ping, None),
        ("protocol version 9999", "POST", {**session, "mcp-protocol-version": "9999-99-99"}, ping, None),
        ("protocol version long", "POST", {**session, "mcp-protocol-version": "v" * 5000}, ping, None),
        (
            "protocol version list",
            "POST",
            {**session, "mcp-protocol-version": f"{PROTOCOL_VERSION}, x"},
            ping,
            None,
        ),
        ("modern, no session, GET", "GET", {**base, "mcp-protocol-version": MODERN_VERSION}, b"", None),
        (
            "modern, mismatched method header",
            "POST",
            {**base, "mcp-protocol-version": MODERN_VERSION, "mcp-method": "tools/call"},
            dumps(request("ping", {"_meta": MODERN_META}, 2)),
            None,
        ),
        (
            "modern, accept html",
            "POST",
            {**base, "mcp-protocol-version": MODERN_VERSION, "accept": "text/html"},
            ping,
            None,
        ),
        ("trailing slash", "POST", session, ping, url + "/"),
        ("upper case path", "POST", session, ping, url.upper().replace("HTTP://", "http://")),
        ("query string", "POST", session, ping, url + "?x=1&x=2"),
        ("dot segments", "POST", session, ping, url.replace("/mcp", "/x/../mcp")),
        ("other path", "POST", session, ping, url.replace("/mcp", "/admin")),
    ]


def test_http_answers_a_thousand_hostile_messages_without_a_5xx_and_keeps_serving(
    workspace: Workspace, http_peer: HttpPeer
) -> None:
    started = time.monotonic()
    hostile = workspace.messages(seed=20240602).take(MESSAGES)
    tally = Tally()
    for i, message in enumerate(hostile, start=1):
        lane = lane_for(i)
        body, headers = message.body, http_peer.session
        if lane == "modern":
            body, headers = modern_request(message, http_peer.base)
        elif lane == "sessionless":
            headers = http_peer.base
        tally.sent += 1
        label = f"#{i} {message.kind} ({lane} lane): {body[:160]!r}"
        try:
            response = http_peer.post(body, headers)
        except httpx.HTTPError as err:
            tally.failures.append(f"{label}: {type(err).__name__}: {err}")
            continue
        if response.status_code >= 500:
            tally.failures.append(f"{label}: {response.status_code} {response.text[:500]}")
            continue
        if response.status_code >= 400:
            tally.refusals[str(response.status_code)] += 1
        # Without a session only initialize can succeed: the rest is refused before it is read as JSON-RPC.
        if message.answer_id is not None and lane != "sessionless":
            tally.owe(message)
            answers = [a for a in messages_in(response) if a.get("id") == message.answer_id]
            if answers:
                tally.answered(message, answers[0], label)
            else:
                tally.failures.append(f"{label}: no answer: {response.status_code} {response.text[:300]}")
        if i % PROBE_EVERY == 0:
            listed = http_peer.call("tools/list")
            assert "read_file" in json.dumps(listed.get("result")), f"after {i} messages: {listed}"

    for label, method, headers, body, url in http_oddities(http_peer):
        tally.sent += 1
        try:
            response = http_peer.http.request(
                method, url or http_peer.server.url, headers=headers, content=body
            )
        except httpx.HTTPError as err:
            tally.failures.append(f"{label}: {type(err).__name__}: {err}")
            continue
        if response.status_code >= 500:
            tally.failures.append(f"{label}: {response.status_code} {response.text[:300]}")
        elif response.status_code >= 400:
            tally.refusals[str(response.status_code)] += 1
    tally.assert_clean(http_peer.log)

    read = http_peer.call("tools/call", {"name": "read_file", "arguments": {"path": "hello.py"}})
    assert "print('hello')" in json.dumps(read.get("result")), read
    assert http_peer.server.process.poll() is None, "the server exited"
    assert not http_peer.leaks, f"an answer carried a file from outside the root: {http_peer.leaks}"
    workspace.assert_nothing_escaped()
    assert tally.sent >= 1_000
    print(f"http: {tally.summary()}; {time.monotonic() - started:.1f}s")
