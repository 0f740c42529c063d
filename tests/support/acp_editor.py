"""A stand-in ACP editor: the Python SDK's client side connection over the stdio of a real `m2bridge acp`
subprocess. It records every session/update and answers permission requests as a test tells it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION
from acp.client.connection import ClientSideConnection
from acp.schema import (
    ClientCapabilities,
    Implementation,
    InitializeResponse,
    RequestPermissionResponse,
)
from acp.stdio import spawn_agent_process

from tests.support.env import ROOT

__all__ = ["Editor", "RecordingClient", "acp_editor"]


@dataclass
class RecordingClient:
    """The editor's side of the protocol: records updates; the permission answer is set by the test."""

    updates: list[tuple[str, Any]] = field(default_factory=list)
    permission: RequestPermissionResponse | None = None
    permission_requests: list[Any] = field(default_factory=list)
    never_answer: bool = False  # a client that leaves permission requests unanswered

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

    async def initialize(self) -> InitializeResponse:
        return await self.conn.initialize(
            protocol_version=PROTOCOL_VERSION,
            client_capabilities=ClientCapabilities(),
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
            yield Editor(conn, client, process)
