"""`m2_task`: hand a task to an M2 agent that runs with this server's tools in a stored session.

Many may run at once (an MCP client fanning work out to cheap M2 agents), under a cap. The agent's tools
are the server's own set, so `--read-only` and `--no-terminal` bound it too, and m2_task is never among
them. The MCP client that called m2_task approved the work, so the agent's tool calls are not asked again.

A session's workspace is where its AGENTS.md comes from and what its agent works on, so it must lie inside
the server's roots (as narrowed by the client for the call): a session of another workspace is refused
before anything reaches the model, and a new session inside a subfolder of a repository belongs to the
root rather than to the repository's top level outside it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import Field

from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError
from m2bridge.tools import Tool, ToolOutcome, report_progress
from m2bridge.workspace import detect_workspace
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.context import ToolContext
from mcp_tools.errors import ToolFailure
from mcp_tools.paths import is_within

if TYPE_CHECKING:
    from m2bridge.agent import AgentEvent
    from m2bridge.client.model import ModelClient
    from m2bridge.sessions import SessionStore

__all__ = ["DEFAULT_MAX_TASKS", "M2Task"]

DEFAULT_MAX_TASKS = 16


class TaskArgs(Arguments):
    task: str = Field(min_length=1, description="What M2 should do, written as you would to a colleague.")
    session_id: str | None = Field(None, description="Continue this stored session (id or unique prefix).")
    max_steps: int | None = Field(None, ge=1, le=500, description="Most model steps (default from config).")


class M2Task(ModelTool[TaskArgs]):
    name = "m2_task"
    description = (
        "Run a MiniMax-M2 agent on a task with this server's repo and terminal tools, in a stored session, "
        "and return its answer as JSON {session_id, text, stop_reason, usage}. Pass session_id to continue "
        "a session (also one started in the terminal or an editor). Several calls may run at once: use it "
        "to fan independent sub-tasks out to parallel agents. Needs MINIMAX_API_KEY in the server's "
        "environment."
    )
    arguments = TaskArgs
    destructive = True
    open_world = True

    def __init__(
        self,
        settings: Settings,
        tools: Sequence[Tool],
        ctx: ToolContext,
        max_tasks: int = DEFAULT_MAX_TASKS,
    ) -> None:
        """`ctx` is the tools' context, whose roots (narrowed per call) bound the sessions."""
        self.ctx = ctx
        self.settings = settings
        self.tools = [t for t in tools if t.spec.name != self.name]
        self._slots = anyio.Semaphore(max_tasks)
        self._store: SessionStore | None = None
        # One client for every task: building an HTTP client (its TLS context) costs tens of milliseconds
        # of event-loop time, which sixteen parallel tasks would otherwise pay sixteen times.
        self._client: ModelClient | None = None

    def store(self) -> SessionStore:
        if self._store is None:
            from m2bridge.sessions import SessionStore

            self._store = SessionStore(self.settings.sessions_db)
        return self._store

    async def client(self) -> ModelClient:
        if self._client is None:
            # Imported here, not at start-up: the model client pulls in httpx, which no other tool needs.
            from m2bridge.client.model import ModelClient

            self._client = ModelClient(self.settings)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
        if self._store is not None:
            self._store.close()

    async def run(self, args: TaskArgs) -> ToolOutcome:
        try:
            self.settings.require_key()
        except M2BridgeError as err:
            raise ToolFailure(f"{err.message} The other tools work without a key.") from None
        settings = self.settings
        if args.max_steps is not None:
            settings = dataclasses.replace(settings, max_steps=args.max_steps)
        async with self._slots:
            return await self._run(settings, args)

    async def _run(self, settings: Settings, args: TaskArgs) -> ToolOutcome:
        from m2bridge.agent import Agent
        from m2bridge.agent.events import ToolEnd, ToolStart
        from m2bridge.agent.prompt import system_prompt

        store = self.store()
        roots = self._roots()
        created = not args.session_id
        try:
            if args.session_id:
                info = store.resolve(args.session_id)
                _check_workspace(info.id, info.workspace, roots)
            else:
                workspace = await anyio.to_thread.run_sync(detect_workspace, roots[0])
                if not _covers(roots, workspace):
                    # The repository's top level is outside the roots: the session belongs to the root.
                    workspace = roots[0]
                info = store.create(
                    workspace=str(workspace),
                    protocol=settings.api,
                    model=settings.model,
                    title=args.task[:80],
                )
        except M2BridgeError as err:
            raise ToolFailure(err.message) from None
        send, receive = anyio.create_memory_object_stream[str](math.inf)

        def on_event(event: AgentEvent) -> None:
            if isinstance(event, ToolStart):
                send.send_nowait(f"{event.name} …")
            elif isinstance(event, ToolEnd):
                send.send_nowait(f"{event.name} {'done' if event.ok else 'failed'}")

        async def allow(name: str, arguments: Mapping[str, Any]) -> bool:
            return True

        client = await self.client()
        owner = f"m2_task:{info.id}"
        agent = Agent(
            settings=settings,
            client=client,
            store=store,
            system=system_prompt(Path(info.workspace)),
            tools=self.tools,
            approver=allow,
            on_event=on_event,
            owner=owner,
        )
        async with anyio.create_task_group() as group:
            group.start_soon(_relay_progress, receive, settings.max_steps)
            try:
                result = await agent.run_turn(info.id, args.task)
            finally:
                send.close()
        session_id: str | None = result.session_id
        if created and result.stop_reason in ("error", "cancelled"):
            from m2bridge.sessions.unanswered import drop_if_unanswered

            # A first turn M2 never answered (no connection, a rejected key) leaves no session behind.
            if drop_if_unanswered(store, info.id, owner):
                session_id = None
        payload = {
            "session_id": session_id,
            "text": result.text,
            "stop_reason": result.stop_reason,
            "usage": {"input_tokens": result.usage.input_tokens, "output_tokens": result.usage.output_tokens},
        }
        if result.error is not None:
            payload["error"] = result.error.as_json()
        return ToolOutcome(json.dumps(payload, ensure_ascii=False), is_error=result.error is not None)

    def _roots(self) -> tuple[Path, ...]:
        roots = self.ctx.policy.roots
        if not roots:
            raise ToolFailure("no root is open: the client's roots do not overlap the server's --root")
        return roots


def _covers(roots: Sequence[Path], workspace: Path | str) -> bool:
    real = Path(os.path.realpath(workspace))
    return any(is_within(real, root) for root in roots)


def _check_workspace(session_id: str, workspace: str, roots: Sequence[Path]) -> None:
    """Refuse a session whose workspace the roots do not cover, before anything is sent or leased."""
    if _covers(roots, workspace):
        return
    shown = ", ".join(str(root) for root in roots)
    raise ToolFailure(
        f"session {session_id} belongs to workspace {workspace}, which is outside this server's roots "
        f"({shown}); nothing was sent. Continue it from that workspace (m2bridge chat --session "
        f"{session_id}), or start the server with --root {workspace}."
    )


async def _relay_progress(receive: anyio.abc.ObjectReceiveStream[str], max_steps: int) -> None:
    done = 0
    async with receive:
        async for message in receive:
            done += 1
            await report_progress(done, None, message)
