"""Broken and hostile JSON-RPC messages for an MCP server, built deterministically from a seed.

Each message says what a correct server owes it: `answer_id` is set only for a well-formed request (a
JSON object with `"jsonrpc": "2.0"`, a string `method`, an integer or string `id` and an object or absent
`params`) whose body is valid UTF-8 JSON; the server must answer that id, with an error or a result, and
with an error when `must_fail` (an unknown method, a path outside the root, arguments against the tool's
schema, a tools/call whose params are not a call).
Everything else (unparseable bytes, batches, bad envelopes, odd ids, notifications, responses the client
was never asked for) is owed nothing but must not hurt the server.

The stream aims at the parser (truncation, garbage, control characters, invalid UTF-8, BOMs, a megabyte
string, 100,000 open brackets), the JSON-RPC envelope (scalars, batches, wrong versions, odd ids) and the
MCP layer behind it (unknown methods, known methods with wrong params, every tool with wrong arguments,
paths that leave the root, option injection into git and ripgrep, a second initialize, duplicate ids,
stray responses and cancellations). Tool calls never carry arguments that would do anything: a command is
at most `true`, writes only aim outside the root, and m2_task never gets a valid task.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RequestId = int | str

# Present in every name a trapped write or an injected `--output=` would create: none may ever appear.
TRAP_MARK = "pwned"
PROTOCOL_VERSION = "2025-06-18"
MODERN_VERSION = "2026-07-28"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "hostile", "version": "0"},
}


@dataclass(frozen=True)
class Hostile:
    kind: str
    body: bytes
    answer_id: RequestId | None = None
    must_fail: bool = False

    def __post_init__(self) -> None:
        assert self.answer_id is not None or not self.must_fail, "only an answered request can fail"

    @property
    def one_line(self) -> bool:
        """Whether the body is one line on stdio (a line reader splits at LF, CR and CRLF)."""
        return b"\n" not in self.body and b"\r" not in self.body

    @property
    def request(self) -> dict[str, Any] | None:
        """The decoded body when it is a JSON object, else None."""
        try:
            decoded = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return decoded if isinstance(decoded, dict) else None


def dumps(value: object, *, ascii_only: bool = True) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only).encode("utf-8")


def request(method: object, params: object = None, id: object = None, **extra: object) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    message.update(extra)
    return message


def initialize_request(id: RequestId, version: object = PROTOCOL_VERSION) -> dict[str, Any]:
    params = {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "hostile", "version": "0"},
    }
    return request("initialize", params, id)


@dataclass
class HostileMessages:
    """A deterministic stream of hostile messages.

    `outside_file` is a file outside the server's roots that must never be read; `trap_dir` is a folder
    outside the roots where no file named with TRAP_MARK may ever appear.
    """

    seed: int
    outside_file: str
    trap_dir: str
    first_id: int = 10_000
    _rng: random.Random = field(init=False)
    _next: int = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._next = self.first_id

    # -- the stream -----------------------------------------------------------------------------------

    def take(self, count: int) -> list[Hostile]:
        """At least `count` messages: every family once, the heavy ones once, then a weighted mix."""
        families = self._families()
        out: list[Hostile] = []
        for make, _ in families:
            out += make()
        heavy = self._heavy()
        spacing = max(1, count // (len(heavy) + 1))
        mixed: list[Hostile] = []
        makers = [make for make, _ in families]
        weights = [weight for _, weight in families]
        while len(out) + len(mixed) + len(heavy) < count:
            mixed += self._rng.choices(makers, weights)[0]()
        for index, message in enumerate(heavy, start=1):
            mixed.insert(min(len(mixed), index * spacing), message)
        return out + mixed

    def fresh_id(self) -> int:
        self._next += 1
        return self._next

    # -- families -------------------------------------------------------------------------------------

    def _families(self) -> list[tuple[Callable[[], list[Hostile]], int]]:
        return [
            (self.truncated, 6),
            (self.trailing_garbage, 5),
            (self.lone_punctuation, 4),
            (self.control_characters, 5),
            (self.invalid_utf8, 5),
            (self.byte_order_marks, 2),
            (self.blank, 2),
            (self.pretty_printed, 2),
            (self.odd_numbers, 2),
            (self.moderate_nesting, 2),
            (self.scalars, 3),
            (self.batches, 4),
            (self.bad_envelopes, 8),
            (self.odd_ids, 5),
            (self.usable_odd_ids, 6),
            (self.unknown_methods, 8),
            (self.known_methods_with_bad_params, 6),
            (self.tool_calls_with_a_bad_shape, 8),
            (self.tool_calls_with_odd_meta, 2),
            (self.tool_calls_with_bad_arguments, 12),
            (self.tool_calls_with_odd_arguments, 3),
            (self.paths_that_leave_the_root, 10),
            (self.option_injection, 5),
            (self.second_initialize, 2),
            (self.modern_envelopes, 4),
            (self.duplicate_ids, 3),
            (self.stray_responses, 4),
            (self.bad_notifications, 6),
            (self.cancelled_in_flight, 2),
        ]

    def _valid(self) -> dict[str, Any]:
        """A valid request to mangle (its id is never expected back)."""
        choice = self._rng.randrange(4)
        id = self.fresh_id()
        if choice == 0:
            return request("ping", id=id)
        if choice == 1:
            return request("tools/list", id=id)
        if choice == 2:
            return request("tools/call", {"name": "read_file", "arguments": {"path": "hello.py"}}, id)
        return initialize_request(id)

    def truncated(self) -> list[Hostile]:
        body = dumps(self._valid())
        return [Hostile("truncated JSON", body[: self._rng.randrange(1, len(body) - 1)])]

    def trailing_garbage(self) -> list[Hostile]:
        garbage = self._rng.choice([*_GARBAGE, dumps(request("ping", id=self.fresh_id()))])
        return [Hostile("trailing garbage", dumps(self._valid()) + garbage)]

    def lone_punctuation(self) -> list[Hostile]:
        return [Hostile("lone punctuation", self._rng.choice(_NOT_JSON))]

    def control_characters(self) -> list[Hostile]:
        code = self._rng.choice([c for c in range(32) if c not in (10, 13)] + [127])
        char = bytes([code])
        body = dumps(self._valid())
        where = self._rng.randrange(3)
        if where == 0:  # raw inside a string, which JSON forbids for all but DEL
            body = body.replace(b'"method":"', b'"method":"' + char, 1)
        elif where == 1:  # between tokens, where only space, tab, LF and CR are allowed
            body = body.replace(b",", b"," + char, 1)
        else:  # terminal escapes and NULs around the message
            body = self._rng.choice([b"\x1b[2J", b"\x00" * 8, b"\x07", b"\x1b]0;t\x07"]) + body
        return [Hostile("control character", body)]

    def invalid_utf8(self) -> list[Hostile]:
        bad = self._rng.choice(_INVALID_UTF8)
        body = dumps(self._valid())
        inside = self._rng.random() < 0.5
        body = body.replace(b'"method":"', b'"method":"' + bad, 1) if inside else bad + body
        return [Hostile("invalid UTF-8", body)]

    def byte_order_marks(self) -> list[Hostile]:
        text = dumps(self._valid()).decode()
        body = self._rng.choice(
            [
                b"\xef\xbb\xbf" + text.encode(),
                b"\xff\xfe" + text.encode("utf-16-le"),
                b"\xfe\xff" + text.encode("utf-16-be"),
                b"\xff\xfe\x00\x00" + text.encode("utf-32-le"),
                text.encode("utf-16-le"),
            ]
        )
        return [Hostile("byte order mark or UTF-16/32", body)]

    def blank(self) -> list[Hostile]:
        return [Hostile("blank", self._rng.choice([b"", b" ", b"\t", b"  \t  "]))]

    def pretty_printed(self) -> list[Hostile]:
        """Valid JSON over several lines: a request on HTTP, broken lines on stdio."""
        id = self.fresh_id()
        body = json.dumps(request("ping", id=id), indent=self._rng.choice([1, 2, 4])).encode()
        if self._rng.random() < 0.5:
            body = body.replace(b"\n", b"\r\n")
        return [Hostile("pretty-printed over lines", body, answer_id=id)]

    def odd_numbers(self) -> list[Hostile]:
        return [Hostile("odd number", self._rng.choice(_ODD_NUMBERS))]

    def moderate_nesting(self) -> list[Hostile]:
        """A valid request with nested params, shallow enough for any parser: it must be answered."""
        depth = self._rng.randrange(10, 100)
        id = self.fresh_id()
        body = b'{"jsonrpc":"2.0","id":%d,"method":"ping","params":{"_meta":{},"deep":' % id
        body += b"[" * depth + b"]" * depth + b"}}"
        return [Hostile("nested params", body, answer_id=id)]

    def scalars(self) -> list[Hostile]:
        value = self._rng.choice(
            [0, -1, 1.5, 1e308, "string", "", "x" * 10_000, None, True, False, "\u2028", "ping"]
        )
        return [Hostile("JSON scalar", dumps(value))]

    def batches(self) -> list[Hostile]:
        kind = self._rng.randrange(6)
        if kind == 0:
            batch: list[Any] = []
        elif kind == 1:
            batch = [request("ping", id=self.fresh_id()) for _ in range(self._rng.randrange(1, 6))]
        elif kind == 2:
            batch = [{"jsonrpc": "2.0", "method": "notifications/initialized"}]
        elif kind == 3:
            batch = [1, "a", None, [], {}]
        elif kind == 4:
            batch = [[request("ping", id=self.fresh_id())]]
        else:
            batch = [request("tools/list", id=self.fresh_id()), {"jsonrpc": "2.0", "id": 1, "result": {}}]
        return [Hostile("array or batch", dumps(batch))]

    def bad_envelopes(self) -> list[Hostile]:
        id = self.fresh_id()
        flaw = self._rng.randrange(10)
        message: dict[str, Any]
        if flaw == 0:
            message = {"id": id, "method": "ping"}
        elif flaw == 1:
            version = self._rng.choice(["1.0", "2", "2.00", "2.0 ", "\uff12.\uff10", 2.0, 2, None, [], {}])
            message = {"jsonrpc": version, "id": id, "method": "ping"}
        elif flaw == 2:
            message = {"jsonrpc": "2.0", "id": id}
        elif flaw == 3:
            method = self._rng.choice([5, None, [], {}, True, ["ping"], {"name": "ping"}, 1.5])
            message = {"jsonrpc": "2.0", "id": id, "method": method}
        elif flaw == 4:
            params = self._rng.choice([[], [1, 2], "params", 5, True, 0.5])
            message = {"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params}
        elif flaw == 5:
            message = {"JSONRPC": "2.0", "ID": id, "METHOD": "ping"}
        elif flaw == 6:
            message = {}
        elif flaw == 7:
            message = {"jsonrpc": "2.0", "id": id, "method": "ping", "result": {}, "error": {"code": 1}}
        elif flaw == 8:
            message = {"jsonrpc": "2.0", "id": id, "error": "not an object"}
        else:
            message = {"jsonrpc": "2.0", "id": id, "result": "not an object"}
        return [Hostile("bad envelope", dumps(message))]

    def odd_ids(self) -> list[Hostile]:
        """Ids that are neither integers nor strings: nothing can be answered to them."""
        id = self._rng.choice(
            [1.5, 1.0, -0.0, 1e100, 0.1, {}, {"a": 1}, [], [1], True, False, None, float(self.fresh_id())]
        )
        method = self._rng.choice(["ping", "tools/list", "no/such/method"])
        return [Hostile("id of an odd type", dumps(request(method, id=id)))]

    def usable_odd_ids(self) -> list[Hostile]:
        """Legal but unusual ids: negative, huge, long, empty, unicode, number-like. Each must be answered."""
        n = self.fresh_id()
        id: RequestId = self._rng.choice(
            [
                -n,
                10**100 + n,
                -(10**30) - n,
                f"{n}",
                f"{n}".rjust(10_000, "x"),
                f"\u0438\u0434-{n}-\U0001f600",
                f" {n} ",
                f"{n}\n\t\"'\\",
                f"{n}\u2028\u0000",
                f"{n}".zfill(40),
            ]
        )
        method = self._rng.choice(["ping", "tools/list", "no/such/method"])
        # Half go out as raw UTF-8 rather than \u escapes: a raw U+2028 is legal JSON and still one line.
        body = dumps(request(method, id=id), ascii_only=self._rng.random() < 0.5)
        return [Hostile("unusual but legal id", body, answer_id=id)]

    def unknown_methods(self) -> list[Hostile]:
        n = self.fresh_id()
        method = self._rng.choice([*_UNKNOWN_METHODS, f"random/{self._rng.getrandbits(64):x}"])
        params = self._rng.choice([None, {}, {"x": 1}, {"_meta": {"progressToken": n}}])
        return [Hostile("unknown method", dumps(request(method, params, n)), answer_id=n, must_fail=True)]

    def known_methods_with_bad_params(self) -> list[Hostile]:
        n = self.fresh_id()
        method, params = self._rng.choice(
            [
                ("ping", {"_meta": "not an object"}),
                ("ping", {"_meta": {"progressToken": {"a": 1}}}),
                ("tools/list", {"cursor": 5}),
                ("tools/list", {"cursor": "garbage-cursor"}),
                ("tools/list", {"cursor": None}),
                ("resources/list", {"cursor": []}),
                ("resources/read", {"uri": "file:///etc/passwd"}),
                ("resources/read", {"uri": 5}),
                ("resources/templates/list", {}),
                ("resources/subscribe", {"uri": "file:///etc/passwd"}),
                ("prompts/list", {}),
                ("prompts/get", {"name": "nope", "arguments": {"a": 1}}),
                ("prompts/get", {"name": 5}),
                ("logging/setLevel", {"level": "nope"}),
                ("logging/setLevel", {}),
                ("completion/complete", {}),
                ("completion/complete", {"ref": {"type": "ref/prompt", "name": "x"}, "argument": 5}),
                ("ping", None),
            ]
        )
        message = request(method, params, n)
        if method == "ping" and params is None:
            message["params"] = None  # an explicit null, which the envelope allows
        return [Hostile("known method, bad params", dumps(message), answer_id=n)]

    def tool_calls_with_a_bad_shape(self) -> list[Hostile]:
        n = self.fresh_id()
        params = self._rng.choice(
            [
                None,
                {},
                {"name": None},
                {"name": 5},
                {"name": []},
                {"name": {"name": "read_file"}},
                {"arguments": {"path": "hello.py"}},
                {"name": "read_file", "arguments": []},
                {"name": "read_file", "arguments": ["hello.py"]},
                {"name": "read_file", "arguments": "path=hello.py"},
                {"name": "read_file", "arguments": 5},
                {"name": "read_file", "arguments": None},
                {"name": "no_such_tool", "arguments": {}},
                {"name": "", "arguments": {}},
                {"name": "read_file\x00", "arguments": {"path": "hello.py"}},
                {"name": "x" * 10_000, "arguments": {}},
                {"name": "../read_file", "arguments": {}},
                {"name": "READ_FILE", "arguments": {"path": "hello.py"}},
            ]
        )
        message = dumps(request("tools/call", params, n))
        return [Hostile("tools/call, bad shape", message, answer_id=n, must_fail=True)]

    def tool_calls_with_odd_meta(self) -> list[Hostile]:
        """A sound call with a strange `_meta`: an error or a result, as long as it is answered."""
        n = self.fresh_id()
        meta = self._rng.choice([{"progressToken": [1]}, 5, {"progressToken": n}, {"progressToken": None}])
        params = {"name": "list_dir", "arguments": {"path": "."}, "_meta": meta}
        return [Hostile("tools/call, odd _meta", dumps(request("tools/call", params, n)), answer_id=n)]

    def tool_calls_with_bad_arguments(self) -> list[Hostile]:
        """Arguments against the schema, or naming what is not there: each call must fail."""
        n = self.fresh_id()
        name, arguments = self._rng.choice(_BAD_ARGUMENTS)
        if self._rng.random() < 0.2:
            arguments = {**arguments, "unexpected": self._rng.choice([1, "x", None, {"a": []}])}
        message = request("tools/call", {"name": name, "arguments": arguments}, n)
        return [Hostile("tools/call, bad arguments", dumps(message), answer_id=n, must_fail=True)]

    def tool_calls_with_odd_arguments(self) -> list[Hostile]:
        """Arguments that are legal but strange: an error or a result, as long as it is answered."""
        n = self.fresh_id()
        name, arguments = self._rng.choice(_ODD_ARGUMENTS)
        message = request("tools/call", {"name": name, "arguments": arguments}, n)
        return [Hostile("tools/call, odd arguments", dumps(message), answer_id=n)]

    def paths_that_leave_the_root(self) -> list[Hostile]:
        n = self.fresh_id()
        path = self._rng.choice(
            [
                "../../etc/passwd",
                "/etc/passwd",
                "../outside/secret.txt",
                self.outside_file,
                "sub/../../outside/secret.txt",
                "..",
                "../",
                "/",
                "~",
                "~/.ssh/id_rsa",
                "file:///etc/passwd",
                "..\\..\\etc\\passwd",
                "..%2f..%2fetc%2fpasswd",
                "hello.py\x00.png",
                "\x00",
                "/proc/self/environ",
                "/proc/self/cmdline",
                "/dev/zero",
                "/dev/stdin",
                "a" * 100_000,
                "/" * 5_000,
                "../" * 200 + "etc/passwd",
                "..\uff0f..\uff0fetc\uff0fpasswd",
                "link_to_nowhere/../../outside",
                self.outside_file + "/.",
                self.outside_file.replace("/", "//"),
                *_SYMLINKS_OUT,
            ]
        )
        tool = self._rng.choice(["read_file", "list_dir", "find_files", "search", "write_file", "edit_file"])
        arguments: dict[str, Any] = {"path": path}
        if tool == "find_files":
            arguments["pattern"] = "*"
        elif tool == "search":
            arguments["pattern"] = "."
        elif tool == "write_file":
            arguments = {"path": self._trap_path(n), "content": TRAP_MARK}
        elif tool == "edit_file":
            arguments.update(old_string="SECRET", new_string=TRAP_MARK, replace_all=True)
        message = request("tools/call", {"name": tool, "arguments": arguments}, n)
        return [Hostile("path outside the root", dumps(message), answer_id=n, must_fail=True)]

    def _trap_path(self, n: int) -> str:
        name = f"{TRAP_MARK}-{n}.txt"
        through_links = [f"link_out/{name}", f"chain_link/{name}", f"link_parent/{name}", "dangling_link"]
        return self._rng.choice(
            [f"{self.trap_dir}/{name}", f"../{name}", f"sub/../../{name}", "link_file", *through_links]
        )

    def option_injection(self) -> list[Hostile]:
        """Option-looking values for tools that run git and ripgrep: each must stay a value."""
        n = self.fresh_id()
        out = f"--output={self.trap_dir}/{TRAP_MARK}-{n}.txt"
        name, arguments = self._rng.choice(
            [
                ("git_show", {"revision": out}),
                ("git_log", {"revision": out}),
                ("git_log", {"since": out}),
                ("git_log", {"paths": [out]}),
                ("git_diff", {"target": out}),
                ("git_diff", {"paths": [out, "--", out]}),
                ("git_blame", {"path": "--contents=/etc/passwd"}),
                ("git_blame", {"path": "hello.py", "revision": out}),
                ("git_status", {"repo_path": "--git-dir=/etc"}),
                ("git_show", {"revision": f"HEAD; touch {self.trap_dir}/{TRAP_MARK}-{n}"}),
                ("git_show", {"revision": f"$(touch {self.trap_dir}/{TRAP_MARK}-{n})"}),
                ("search", {"pattern": "--pre=/bin/sh"}),
                ("search", {"pattern": "a", "path": "--pre=/bin/sh"}),
                ("search", {"pattern": "a", "glob": ["--pre=/bin/sh"]}),
                ("find_files", {"pattern": "--exec=/bin/sh"}),
                ("list_dir", {"path": "--help"}),
            ]
        )
        message = request("tools/call", {"name": name, "arguments": arguments}, n)
        return [Hostile("option injection", dumps(message), answer_id=n)]

    def second_initialize(self) -> list[Hostile]:
        n = self.fresh_id()
        version = self._rng.choice(
            [PROTOCOL_VERSION, "2024-11-05", MODERN_VERSION, "1999-01-01", "", 5, None]
        )
        message = initialize_request(n, version)
        flaw = self._rng.randrange(4)
        if flaw == 1:
            del message["params"]["clientInfo"]
        elif flaw == 2:
            message["params"]["capabilities"] = self._rng.choice([[], "all", {"sampling": 5}])
        elif flaw == 3:
            message["params"] = None
        return [Hostile("initialize again", dumps(message), answer_id=n)]

    def modern_envelopes(self) -> list[Hostile]:
        """Requests that carry the 2026-07-28 per-request envelope, whole or broken."""
        n = self.fresh_id()
        meta: dict[str, Any] = dict(MODERN_META)
        flaw = self._rng.randrange(5)
        if flaw == 1:
            meta["io.modelcontextprotocol/protocolVersion"] = self._rng.choice(["1999-01-01", 5, None, ""])
        elif flaw == 2:
            del meta["io.modelcontextprotocol/clientCapabilities"]
        elif flaw == 3:
            meta["io.modelcontextprotocol/clientCapabilities"] = "everything"
        elif flaw == 4:
            meta = {"io.modelcontextprotocol/protocolVersion": {"nested": [1]}}
        method, params = self._rng.choice(
            [
                ("tools/list", {}),
                ("ping", {}),
                ("tools/call", {"name": "read_file", "arguments": {"path": "../../etc/passwd"}}),
                ("tools/call", {"name": "read_file", "arguments": {"path": 5}}),
                ("server/discover", {}),
                ("no/such/method", {}),
            ]
        )
        message = request(method, {**params, "_meta": meta}, n)
        return [Hostile("2026-07-28 envelope", dumps(message), answer_id=n)]

    def duplicate_ids(self) -> list[Hostile]:
        """Two requests with one id, back to back: at least one answer must carry it."""
        n = self.fresh_id()
        first = request("tools/call", {"name": "list_dir", "arguments": {"path": "."}}, n)
        second = request(self._rng.choice(["ping", "tools/list", "no/such/method"]), id=n)
        return [Hostile("duplicate id", dumps(m), answer_id=n) for m in (first, second)]

    def stray_responses(self) -> list[Hostile]:
        """Responses to requests the server never sent."""
        id = self._rng.choice([self.fresh_id(), 0, 1, -1, "s-1", 10**100])
        message = self._rng.choice(
            [
                {"jsonrpc": "2.0", "id": id, "result": {}},
                {"jsonrpc": "2.0", "id": id, "result": {"roots": [{"uri": "file:///"}]}},
                {"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": "boom"}},
                {"jsonrpc": "2.0", "id": id, "error": {"code": "x"}},
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}},
                {"jsonrpc": "2.0", "id": id, "result": {"x": "y" * 10_000}},
            ]
        )
        return [Hostile("stray response", dumps(message))]

    def bad_notifications(self) -> list[Hostile]:
        n = self.fresh_id()
        method, params = self._rng.choice(
            [
                ("notifications/cancelled", {"requestId": n}),
                ("notifications/cancelled", {"requestId": f"s-{n}"}),
                ("notifications/cancelled", {"requestId": {"a": 1}}),
                ("notifications/cancelled", {}),
                ("notifications/cancelled", {"requestId": None, "reason": "r" * 100_000}),
                ("notifications/cancelled", None),
                ("notifications/progress", {"progressToken": {"a": 1}, "progress": "half"}),
                ("notifications/progress", {"progressToken": n, "progress": 1, "total": -1}),
                ("notifications/progress", {}),
                ("notifications/initialized", {}),
                ("notifications/initialized", {"x": [1, 2]}),
                ("notifications/roots/list_changed", {}),
                ("notifications/message", {"level": "emergency", "data": "x"}),
                ("notifications/no-such-thing", {"a": 1}),
                ("$/progress", {"token": 1}),
                ("notifications/cancelled", [n]),
            ]
        )
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        return [Hostile("notification with bad params", dumps(message))]

    def cancelled_in_flight(self) -> list[Hostile]:
        """A request cancelled at once: the server may answer it or not, and must carry on."""
        n = self.fresh_id()
        call = request("tools/call", {"name": "find_files", "arguments": {"pattern": "**/*"}}, n)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": n}}
        return [Hostile("cancelled in flight", dumps(call)), Hostile("cancelled in flight", dumps(cancel))]

    # -- heavy messages, each once ------------------------------------------------------------------------

    def _heavy(self) -> list[Hostile]:
        big = "a" * (1 << 20)
        ids = [self.fresh_id() for _ in range(6)]
        return [
            Hostile(
                "1 MB string, unterminated",
                b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + big.encode(),
            ),
            Hostile("1 MB string param", dumps(request("ping", {"x": big}, ids[0])), answer_id=ids[0]),
            Hostile("100,000 open brackets", b"[" * 100_000),
            Hostile("50,000 open objects", b'{"a":' * 50_000),
            Hostile(
                "params nested 10,000 deep",
                b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":'
                + b"[" * 10_000
                + b"]" * 10_000
                + b"}}",
            ),
            Hostile(
                "1 MB path",
                dumps(request("tools/call", {"name": "read_file", "arguments": {"path": big}}, ids[1])),
                answer_id=ids[1],
                must_fail=True,
            ),
            Hostile(
                "1 MB write outside the root",
                dumps(
                    request(
                        "tools/call",
                        {
                            "name": "write_file",
                            "arguments": {"path": self._trap_path(ids[2]), "content": big},
                        },
                        ids[2],
                    )
                ),
                answer_id=ids[2],
                must_fail=True,
            ),
            Hostile(
                "200 KB regex",
                dumps(
                    request(
                        "tools/call", {"name": "search", "arguments": {"pattern": "(a|b)" * 40_000}}, ids[3]
                    )
                ),
                answer_id=ids[3],
            ),
            Hostile(
                "20,000 git paths",
                dumps(
                    request(
                        "tools/call",
                        {"name": "git_diff", "arguments": {"paths": [f"p{i}" for i in range(20_000)]}},
                        ids[4],
                    )
                ),
                answer_id=ids[4],
            ),
            Hostile(
                "10,000 arguments",
                dumps(
                    request(
                        "tools/call",
                        {"name": "read_file", "arguments": {f"k{i}": i for i in range(10_000)}},
                        ids[5],
                    )
                ),
                answer_id=ids[5],
            ),
        ]


# The shared sandbox's symlinks that lead out of the root (tests/support/sandbox.py).
_SYMLINKS_OUT = (
    "link_out/secret.txt", "link_file", "link_rel_out", "chain_link/secret.txt",
    "link_parent/outside/secret.txt", "link_out", "link_parent", "dangling_link",
)  # fmt: skip
_GARBAGE = (b"}", b"]", b",", b" x", b"{}", b"[]", b"\x00", b"//c", b"/* c */", b"'", b'"', b"null")
_NOT_JSON = (
    b"[", b"]", b"{", b"}", b"{]", b"[}", b",", b":", b'"', b"'", b"{,}", b"[,]", b"[1,]",
    b'{"a":}', b'{"a" 1}', b"{'jsonrpc':'2.0','id':1,'method':'ping'}", b"{jsonrpc:2.0}",
    b"undefined", b"True", b"None", b"nul", b"tru", b"-", b"+1", b"01", b".5", b"0x1F",
    b"Infinity", b"-Infinity", b"NaN", b'"\\u12"', b'"\\x41"', b'"\\', b"\\", b"<xml/>",
)  # fmt: skip
_INVALID_UTF8 = (
    b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82",
    b"\xf8\x88\x80\x80\x80", b"\xc3", b"\xef\xbf",
)  # fmt: skip
_ODD_NUMBERS = (
    b"1e999999", b"-1e999999", b"9" * 5000, b"-0", b"0.0000000000000000000000001e-400",
    b'{"jsonrpc":"2.0","id":' + b"7" * 5000 + b',"method":"ping"}',
    b'{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
)  # fmt: skip
_UNKNOWN_METHODS = (
    "", " ", "tools/listx", "TOOLS/LIST", "tools/", "/tools/list", "tools//list", "tools/list ",
    "rpc.discover", "$/cancelRequest", "x" * 10_000, "\u043f\u0438\u043d\u0433", "ping\x00",
    "notifications/initialized", "notifications/cancelled", "sampling/createMessage",
    "roots/list", "elicitation/create", "__proto__", "constructor", "../../etc/passwd",
    "tasks/get", "initialized",
)  # fmt: skip

# Legal but strange arguments: the tool may answer with a result.
_ODD_ARGUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("read_file", {"path": "hello.py", "offset": 10**100}),
    ("read_file", {"path": "./" * 2_000 + "hello.py"}),
    ("list_dir", {"path": ""}),
    ("find_files", {"pattern": "**/" * 1_000 + "*"}),
    ("search", {"pattern": "(a+)+$"}),
    ("search", {"pattern": "x", "glob": "*.py"}),
    ("list_processes", {"all": [1]}),
    ("git_log", {"since": "--output=/dev/null"}),
    ("edit_file", {"path": "hello.py", "old_string": "", "new_string": ""}),
]

# Wrong arguments for every tool: each against the schema, or naming a file, ref, commit or process that
# is not there. Nothing here can run a command, reach the network or write inside the root: commands are
# at most `true` with a broken option, m2_task never gets a valid task, process ids name no process.
_BAD_ARGUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("read_file", {}),
    ("read_file", {"path": 5}),
    ("read_file", {"path": None}),
    ("read_file", {"path": ["hello.py"]}),
    ("read_file", {"path": {"path": "hello.py"}}),
    ("read_file", {"path": "hello.py", "offset": -1}),
    ("read_file", {"path": "hello.py", "offset": 0}),
    ("read_file", {"path": "hello.py", "limit": 10**100}),
    ("read_file", {"path": "hello.py", "limit": "many"}),
    ("read_file", {"path": "hello.py", "limit": 1.5}),
    ("read_file", {"path": "no/such/file.txt"}),
    ("read_file", {"path": "sub"}),
    ("list_dir", {"depth": 0}),
    ("list_dir", {"depth": 11}),
    ("list_dir", {"path": {}}),
    ("list_dir", {"include_ignored": "yes please"}),
    ("find_files", {}),
    ("find_files", {"pattern": 5}),
    ("find_files", {"pattern": "*", "max_results": 0}),
    ("find_files", {"pattern": "[", "max_results": 10**9}),
    ("search", {}),
    ("search", {"pattern": "["}),
    ("search", {"pattern": "\x00"}),
    ("search", {"pattern": "x", "glob": 5}),
    ("search", {"pattern": "x", "context_lines": -1}),
    ("search", {"pattern": "x", "max_results": "all"}),
    ("search", {"pattern": "(?<=a)b"}),
    ("search", {"pattern": "\\p{NoSuchClass}"}),
    ("write_file", {}),
    ("write_file", {"path": 5, "content": "x"}),
    ("write_file", {"path": "x.txt", "content": None}),
    ("write_file", {"path": "x.txt", "content": ["a", "b"]}),
    ("edit_file", {}),
    ("edit_file", {"path": "hello.py", "old_string": 5, "new_string": "x"}),
    ("edit_file", {"path": "hello.py", "old_string": "no such text", "new_string": "x", "replace_all": "no"}),
    ("git_status", {"repo_path": 5}),
    ("git_status", {"repo_path": "../outside"}),
    ("git_status", {"repo_path": "/"}),
    ("git_diff", {"context_lines": -1}),
    ("git_diff", {"context_lines": 10**6}),
    ("git_diff", {"target": "no-such-ref"}),
    ("git_diff", {"paths": 5}),  # a bare string is accepted as one path; a number is not
    ("git_log", {"max_count": 0}),
    ("git_log", {"max_count": 10**9}),
    ("git_log", {"since": 5}),
    ("git_log", {"revision": "HEAD~100000"}),
    ("git_show", {}),
    ("git_show", {"revision": ""}),
    ("git_show", {"revision": "deadbeef" * 5}),
    ("git_blame", {}),
    ("git_blame", {"path": "hello.py", "start_line": 0}),
    ("git_blame", {"path": "hello.py", "start_line": 5, "end_line": 1}),
    ("git_blame", {"path": "no/such/file"}),
    ("run_command", {}),
    ("run_command", {"command": 5}),
    ("run_command", {"command": None}),
    ("run_command", {"command": ["true"]}),
    ("run_command", {"command": "true", "timeout": "soon"}),
    ("run_command", {"command": "true", "cwd": 5}),
    ("start_process", {}),
    ("start_process", {"command": ""}),
    ("start_process", {"command": 5}),
    ("read_process", {}),
    ("read_process", {"id": "p999999"}),
    ("read_process", {"id": "../p1"}),
    ("read_process", {"id": 5}),
    ("write_process", {"id": "p999999", "input": "x"}),
    ("write_process", {"id": "p1; rm -rf /", "input": "x"}),
    ("kill_process", {"id": "p999999"}),
    ("kill_process", {"id": "p-1"}),
    ("m2_task", {}),
    ("m2_task", {"task": ""}),
    ("m2_task", {"task": 5}),
    ("m2_task", {"task": None}),
    ("m2_task", {"task": "x", "max_steps": 0}),
    ("m2_task", {"task": "x", "max_steps": 10**9}),
]
