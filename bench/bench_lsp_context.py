"""Editor context on a big file: an incremental didChange then `m2/context`, ours vs a bare pygls server.

    python bench/bench_lsp_context.py [--quick] [--no-pin]

Both servers run over stdio in a temp git repo holding big.py (50,000 generated lines of Python), with
the same isolated environment, and are driven by the same minimal JSON-RPC client (below, no thread: it
reads each answer inline). Each is set up alike: initialize (UTF-16 positions), didOpen of the whole
file, `m2/selection` of lines 39,991-40,010 and `m2/diagnostics` with 50 items across the file. Then:
  didChange + m2/context  a one-character insert on line 40,001 (next version), then the `m2/context`
                          request, timed until its answer;
  m2/context alone        the request only, to tell the didChange's cost from the assembly's.
Servers:
  m2bridge    `python -m m2bridge lsp` (ours), which assembles the editor-context block;
  pygls-peer  bench/lsp_peer.py, bare pygls answering `{"text": null}`: the floor. pygls applies the
              incremental change to its in-memory document in both, so the ratio is what our work adds.
After a warm-up, rounds alternate between the servers (and which goes first); prints median and p90 in ms
and ours as a ratio against the peer measured in the same run. On Linux the client and both servers share
one CPU (--no-pin to let them roam): on a shared VM a core can run slower for seconds at a time, and
unpinned, that slowed whichever server happened to be on it, swinging the ratio from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mcp_peers import BENCH, median_ms, ours_env

WARMUP = 20
LINES = 50_000
EDITED = 40_000  # 0-based line of the edit, deep in the file
SELECTED = (39_990, 40_010)  # 0-based; ending at column 0, the last line shown is 40,010 (1-based)
TIMEOUT = 60.0  # per answer: a server that stops answering fails the run instead of hanging it

Message = dict[str, Any]


# The file ----------------------------------------------------------------------------------------------
BLOCK = '''\
class Handler{n}:
    """Serves the requests of section {n}, with a small cache in front."""

    def __init__(self, cache: dict, limit: int = {limit}) -> None:
        self.cache = cache
        self.limit = limit

    def handle_{n}(self, request: Request) -> Response:
        key = (request.path, {n})
        if key in self.cache:
            return self.cache[key]
        value = compute_{helper}(request, limit=self.limit)  # slow path
        self.cache[key] = value
        return value

'''


def make_source() -> str:
    """Deterministic Python of exactly LINES lines (ASCII, \\n breaks), about 1.6 MB."""
    lines = ["from __future__ import annotations", "", "from app.http import Request, Response", ""]
    n = 0
    while len(lines) < LINES:
        lines += BLOCK.format(n=n, limit=n % 97 + 3, helper=n % 13).split("\n")[:-1]
        n += 1
    return "\n".join(lines[:LINES]) + "\n"


def make_repo(folder: Path) -> str:
    text = make_source()
    (folder / "big.py").write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return text


def scattered_diagnostics() -> list[Message]:
    """50 items, one every 1,000 lines: a couple land near the selection, the rest far from it."""
    out = []
    for i in range(50):
        line = i * 1000 + 7
        out.append(
            {
                "range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 13}},
                "message": f"local variable 'value_{i}' is assigned to but never used",
                "severity": 2 if i % 3 else 1,
                "source": "pyflakes",
                "code": f"F84{i % 10}",
            }
        )
    return out


# The client --------------------------------------------------------------------------------------------
class ServerGone(Exception):
    pass


class Client:
    """One server over its stdio pipes, Content-Length framed. Answers are read inline (select + os.read,
    no reader thread), so the client's own cost per message is a few syscalls, the same for both servers."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.name = name
        # Shown only if the server fails; closed by close(), once the server has gone.
        self.errlog: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errlog, cwd=cwd, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._out = self.proc.stdout.fileno()
        self._buffer = bytearray()
        self._next_id = 0
        self.from_server: dict[str, int] = {}  # method -> count of notifications and requests it sent

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._answer(self._next_id, time.monotonic() + timeout)

    def _send(self, message: Message) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        try:
            self._in.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._in.flush()
        except (BrokenPipeError, OSError) as err:
            raise ServerGone(self._why(f"could not write: {err}")) from None

    def _answer(self, wanted: int, deadline: float) -> Any:
        while True:
            message = self._read(deadline)
            if "method" in message:
                method = str(message["method"])
                self.from_server[method] = self.from_server.get(method, 0) + 1
                if "id" in message:  # a request (configuration, progress...): null, so it does not wait
                    self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if message.get("id") != wanted:
                continue  # the answer to a request given up on: not ours to wait for
            if "error" in message:
                raise ServerGone(f"{self.name} answered with an error: {message['error']}")
            return message.get("result")

    def _read(self, deadline: float) -> Message:
        while True:
            message = self._frame()
            if message is not None:
                return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise ServerGone(self._why("no answer in time"))
            chunk = os.read(self._out, 1 << 16)
            if not chunk:
                raise ServerGone(self._why("it closed its output"))
            self._buffer += chunk

    def _frame(self) -> Message | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = 0
        for header in bytes(self._buffer[:end]).split(b"\r\n"):
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        start = end + 4
        if len(self._buffer) < start + length:
            return None
        body = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        message: Message = json.loads(body)
        return message

    def _why(self, what: str) -> str:
        self.errlog.seek(0)
        tail = self.errlog.read()[-600:].decode(errors="replace").strip()
        return f"{self.name}: {what}" + (f"; stderr: {tail}" if tail else "")

    def close(self) -> None:
        """shutdown + exit, as an editor ends a session; killed if it does not go within 10 s."""
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self._in.close()  # end of input too, for a server that ignores exit
        except (ServerGone, OSError):
            pass  # already gone: there is only the wait left
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"  {self.name} did not exit within 10 s of shutdown + exit: killed")
            self.proc.kill()
            self.proc.wait()
        self.errlog.close()


# The session -------------------------------------------------------------------------------------------
def set_up(client: Client, repo: Path, uri: str, text: str) -> None:
    client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": repo.as_uri(),
            "workspaceFolders": [{"uri": repo.as_uri(), "name": repo.name}],
            # No general.positionEncodings: UTF-16, the default every editor gets.
            "capabilities": {"textDocument": {"synchronization": {"dynamicRegistration": False}}},
        },
    )
    client.notify("initialized", {})
    document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": document})
    first, last = SELECTED
    span = {"start": {"line": first, "character": 0}, "end": {"line": last, "character": 0}}
    client.notify("m2/selection", {"uri": uri, "range": span})
    client.notify("m2/diagnostics", {"uri": uri, "diagnostics": scattered_diagnostics()})


class Session:
    """A client with its document's version, for the didChange each operation sends."""

    def __init__(self, client: Client, uri: str) -> None:
        self.client = client
        self.uri = uri
        self.version = 1

    def change_then_context(self) -> Any:
        self.version += 1
        where = {"line": EDITED, "character": 0}  # column 0 exists on every line, blank or not
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"range": {"start": where, "end": where}, "text": "_"}],
            },
        )
        return self.client.request("m2/context", {})

    def context(self) -> Any:
        return self.client.request("m2/context", {})


def p90_ms(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000


def pin_to_one_cpu() -> str:
    """Pin this process to one CPU; the servers inherit it. Says which, for the header."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(allowed) < 2:
        return ""
    os.sched_setaffinity(0, {allowed[-1]})
    return f", all on CPU {allowed[-1]}"


def main(quick: bool, pin: bool) -> None:
    calls = 20 if quick else 200
    pinned = pin_to_one_cpu() if pin else ""
    with tempfile.TemporaryDirectory(prefix="m2b-lspctx-") as tmp:
        repo, home = Path(tmp, "repo"), Path(tmp, "home")
        repo.mkdir()
        home.mkdir()
        start = time.perf_counter()
        text = make_repo(repo)
        made = time.perf_counter() - start
        uri = (repo / "big.py").as_uri()
        env = ours_env(home)  # the peer gets it too: the same environment for both
        clients = [
            Client("m2bridge", [sys.executable, "-m", "m2bridge", "lsp"], repo, env),
            Client("pygls-peer", [sys.executable, str(BENCH / "lsp_peer.py")], repo, env),
        ]
        print(
            f"editor context over stdio ({LINES:,} lines, {len(text) / 1e6:.1f} MB, generated in "
            f"{made:.1f} s; {calls} calls each after {WARMUP} warm-up, interleaved{pinned}; ms)"
        )
        operations: dict[str, Callable[[Session], Any]] = {
            "didChange + m2/context": Session.change_then_context,
            "m2/context alone": Session.context,
        }
        samples: dict[tuple[str, str], list[float]] = {(op, c.name): [] for op in operations for c in clients}
        try:
            sessions: list[Session] = []
            for client in clients:
                set_up(client, repo, uri, text)
                sessions.append(Session(client, uri))
            # Once each, untimed: ours must really have assembled the block, or the figures mean nothing.
            answers = [s.change_then_context() or {} for s in sessions]  # the same edits for both
            shown = str(answers[0].get("text") or "")
            first, last = SELECTED
            if f"Selection: lines {first + 1}-{last}" not in shown or "pyflakes" not in shown:
                raise SystemExit(f"our server's context lacks the selection or diagnostics: {shown[:300]!r}")
            for _ in range(WARMUP):
                for session in sessions:
                    for operation in operations.values():
                        operation(session)
            for round_ in range(calls):
                order = sessions if round_ % 2 == 0 else sessions[::-1]  # neither always goes first
                for label, operation in operations.items():
                    for session in order:
                        begun = time.perf_counter()
                        operation(session)
                        samples[label, session.client.name].append(time.perf_counter() - begun)
        except ServerGone as err:
            raise SystemExit(str(err)) from None
        finally:
            for client in clients:
                client.close()
        for label in operations:
            print(f"  {label} (median / p90)")
            for client in clients:
                values = samples[label, client.name]
                print(f"    {client.name:<12} {median_ms(values):8.3f} / {p90_ms(values):8.3f} ms")
        for label in operations:
            ours, peer = (samples[label, c.name] for c in clients)
            print(
                f"  ours/pygls-peer, {label:<23} {median_ms(ours) / median_ms(peer):5.2f}x median "
                f"({median_ms(ours) - median_ms(peer):+.2f} ms), {p90_ms(ours) / p90_ms(peer):5.2f}x p90"
            )
        for client in clients:
            said = ", ".join(f"{method} x{count}" for method, count in sorted(client.from_server.items()))
            if said:
                print(f"  {client.name} also sent: {said}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI's smoke run")
    parser.add_argument("--no-pin", action="store_true", help="do not share one CPU (Linux)")
    options = parser.parse_args()
    main(options.quick, not options.no_pin)
