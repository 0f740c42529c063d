"""A stand-in ACP editor: the Python SDK's client side connection over the stdio of a real `m2bridge acp`
subprocess. It records every session/update and answers permission requests as a test tells it.

Where a test declares the capabilities (`Editor.initialize(capabilities=...)`), it is an editor with files
and terminals too: `fs/read_text_file` answers from `buffers` (the unsaved ones) or the disk,
`fs/write_text_file` writes the disk (or refuses, with `refuse_writes`), and `terminal/*` runs commands for
real, in a process group of their own, keeping their output as an editor would. Every fs and terminal
request is recorded in `requests`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.client.connection import ClientSideConnection
from acp.schema import (
    ClientCapabilities,
    CreateTerminalResponse,
    EnvVariable,
    FileSystemCapabilities,
    Implementation,
    InitializeResponse,
    KillTerminalResponse,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalExitStatus,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)
from acp.stdio import spawn_agent_process

from tests.support.env import ROOT

__all__ = ["EVERYTHING", "Editor", "RecordingClient", "Terminal", "acp_editor"]

# An editor offering files and terminals.
EVERYTHING = ClientCapabilities(
    fs=FileSystemCapabilities(read_text_file=True, write_text_file=True), terminal=True
)


@dataclass
class Terminal:
    """A command the stand-in editor runs: its process, and the output it keeps (the last `limit` bytes)."""

    process: asyncio.subprocess.Process
    limit: int | None
    output: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    reader: asyncio.Task[None] | None = None
    released: bool = False

    async def read_all(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self.output += chunk
            if self.limit is not None and len(self.output) > self.limit:
                del self.output[: len(self.output) - self.limit]
                self.truncated = True

    def exit_status(self) -> TerminalExitStatus | None:
        code = self.process.returncode
        if code is None or self.reader is None or not self.reader.done():
            return None
        if code < 0:
            return TerminalExitStatus(signal=signal.Signals(-code).name)
        return TerminalExitStatus(exit_code=code)

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class RecordingClient:
    """The editor's side of the protocol: records updates; the permission answer is set by the test."""

    updates: list[tuple[str, Any]] = field(default_factory=list)
    permission: RequestPermissionResponse | None = None
    permission_requests: list[Any] = field(default_factory=list)
    never_answer: bool = False  # a client that leaves permission requests unanswered
    # The editor's own environment, under what the agent passes to a terminal (empty: only the agent's).
    own_environment: dict[str, str] = field(default_factory=dict[str, str])
    # Files and terminals: unsaved buffers by absolute path; a reason to refuse every write with.
    buffers: dict[str, str] = field(default_factory=dict)
    refuse_writes: str | None = None
    requests: list[tuple[Any, ...]] = field(default_factory=list)
    terminals: dict[str, Terminal] = field(default_factory=dict)

    def asked(self, method: str) -> list[tuple[Any, ...]]:
        """The recorded fs/terminal requests of one method (e.g. "fs/write_text_file")."""
        return [r for r in self.requests if r[0] == method]

    async def read_text_file(
        self, session_id: str, path: str, line: int | None = None, limit: int | None = None, **kwargs: Any
    ) -> ReadTextFileResponse:
        self.requests.append(("fs/read_text_file", session_id, path))
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        try:
            return ReadTextFileResponse(content=Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise RequestError.resource_not_found(path) from err

    async def write_text_file(
        self, session_id: str, path: str, content: str, **kwargs: Any
    ) -> WriteTextFileResponse:
        self.requests.append(("fs/write_text_file", session_id, path, content))
        if self.refuse_writes is not None:
            raise RequestError.internal_error({"reason": self.refuse_writes})
        Path(path).write_text(content, encoding="utf-8")
        if path in self.buffers:
            self.buffers[path] = content
        return WriteTextFileResponse()

    async def create_terminal(
        self,
        session_id: str,
        command: str,
        args: list[str] | None = None,
        env: list[EnvVariable] | None = None,
        cwd: str | None = None,
        output_byte_limit: int | None = None,
        **kwargs: Any,
    ) -> CreateTerminalResponse:
        terminal_id = f"term-{len(self.terminals) + 1}"
        given = {v.name: v.value for v in env or []}
        program = [command, *(args or [])]
        self.requests.append(("terminal/create", session_id, terminal_id, program, cwd, given))
        process = await asyncio.create_subprocess_exec(
            command,
            *(args or []),
            # An editor may lay the agent's variables over its own environment, as VS Code and Zed do.
            env={**self.own_environment, **given},
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        terminal = self.terminals[terminal_id] = Terminal(process, output_byte_limit)
        terminal.reader = asyncio.ensure_future(terminal.read_all())
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def terminal_output(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> TerminalOutputResponse:
        self.requests.append(("terminal/output", session_id, terminal_id))
        terminal = self._terminal(terminal_id)
        return TerminalOutputResponse(
            output=terminal.output.decode("utf-8", errors="replace"),
            truncated=terminal.truncated,
            exit_status=terminal.exit_status(),
        )

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> WaitForTerminalExitResponse:
        self.requests.append(("terminal/wait_for_exit", session_id, terminal_id))
        terminal = self._terminal(terminal_id)
        await terminal.process.wait()
        assert terminal.reader is not None
        await terminal.reader
        status = terminal.exit_status()
        assert status is not None
        return WaitForTerminalExitResponse(exit_code=status.exit_code, signal=status.signal)

    async def kill_terminal(self, session_id: str, terminal_id: str, **kwargs: Any) -> KillTerminalResponse:
        self.requests.append(("terminal/kill", session_id, terminal_id))
        self._terminal(terminal_id).kill()
        return KillTerminalResponse()

    async def release_terminal(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> ReleaseTerminalResponse:
        self.requests.append(("terminal/release", session_id, terminal_id))
        terminal = self._terminal(terminal_id)
        terminal.kill()
        terminal.released = True
        return ReleaseTerminalResponse()

    def _terminal(self, terminal_id: str) -> Terminal:
        terminal = self.terminals.get(terminal_id)
        if terminal is None or terminal.released:
            raise RequestError.invalid_params({"terminalId": terminal_id, "reason": "no such terminal"})
        return terminal

    async def close_terminals(self) -> None:
        """Whatever the agent left running is killed (a test must not leave processes behind)."""
        for terminal in self.terminals.values():
            terminal.kill()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(terminal.process.wait(), 10)
            if terminal.reader is not None:
                terminal.reader.cancel()

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append((session_id, update))

    async def request_permission(
        self, options: Any, session_id: str, tool_call: Any, **kwargs: Any
    ) -> RequestPermissionResponse:
        self.permission_requests.append((session_id, tool_call, options))
        if self.never_answer:
            await asyncio.Event().wait()
        assert self.permission is not None, "the test did not expect a permission request"
        return self.permission

    def on_connect(self, conn: Any) -> None:
        pass


@dataclass
class Editor:
    conn: ClientSideConnection
    client: RecordingClient
    process: Any

    async def initialize(self, capabilities: ClientCapabilities | None = None) -> InitializeResponse:
        """`capabilities`: what the editor offers (default none: the agent works on disk)."""
        return await self.conn.initialize(
            protocol_version=PROTOCOL_VERSION,
            client_capabilities=capabilities or ClientCapabilities(),
            client_info=Implementation(name="m2bridge-tests", version="0"),
        )


@asynccontextmanager
async def acp_editor(cwd: Path, env: dict[str, str], *args: str) -> AsyncIterator[Editor]:
    """`m2bridge acp` started in `cwd` with `env`; its stderr (the log) goes to `acp-stderr.log` beside
    `cwd`, so a chatty log can never fill a pipe nobody reads."""
    client = RecordingClient()
    # The checkout first: an editable install made before acp_agent existed does not map it.
    env = {**env, "PYTHONPATH": str(ROOT)}
    with (cwd.parent / "acp-stderr.log").open("wb") as log:
        async with spawn_agent_process(
            client,
            sys.executable,
            "-m",
            "m2bridge",
            "acp",
            "--sandbox",
            "off",
            *args,
            env=env,
            cwd=cwd,
            transport_kwargs={"stderr": log.fileno()},
        ) as (conn, process):
            try:
                yield Editor(conn, client, process)
            finally:
                await client.close_terminals()
