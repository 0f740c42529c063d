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

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic import Field

from m2bridge.config import Settings
from m2bridge.errors import M2BridgeError
from m2bridge.tools import Tool, ToolOutcome, report_progress
from m2bridge.workspace import WorkspaceMemo
from mcp_tools.base import Arguments, ModelTool
from mcp_tools.failure import ToolFailure
from mcp_tools.paths import is_within
from mcp_tools.tool_context import ToolContext
from mcp_tools.toolkit import sandbox_note

if TYPE_CHECKING:
    from m2bridge.agent import AgentEvent, TurnResult
    from m2bridge.conversation import ConversationService

__all__ = ["DEFAULT_MAX_TASKS", "M2Task"]

DEFAULT_MAX_TASKS = 16


class TaskArgs(Arguments):
    task: str = Field(min_length=1, description="What M2 should do, written as you would to a colleague.")
    session_id: str | None = Field(
        default=None, description="Continue this stored session (id or unique prefix)."
    )
    max_steps: int | None = Field(
        default=None, ge=1, le=500, description="Most model steps (default from config)."
    )


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
        # One service for every task, so one model client: building an HTTP client (its TLS context)
        # costs tens of milliseconds of event-loop time, which sixteen parallel tasks would pay sixteen times.
        self._service: ConversationService | None = None
        self._workspaces = WorkspaceMemo()

    def _conversations(self, workspace: Path) -> ConversationService:
        if self._service is None:
            # Imported here, not at start-up: the model client pulls in httpx, which no other tool needs.
            from m2bridge.conversation import ConversationService

            # The server closes its own tools; the service closes the client and the store.
            owner = f"m2_task:{os.getpid()}"
            # Its agent is told, as the client's model is, when the process tools are absent for want of
            # a sandbox; otherwise it would go on asking for run_command.
            note = sandbox_note(self.ctx.sandbox)
            self._service = ConversationService(
                self.settings, workspace, owner=owner, tools=self.tools, note=note
            )
        return self._service

    async def aclose(self) -> None:
        if self._service is not None:
            service, self._service = self._service, None
            await service.aclose()

    async def run(self, args: TaskArgs) -> ToolOutcome:
        try:
            self.settings.require_key()
        except M2BridgeError as err:
            raise ToolFailure(f"{err.message} The other tools work without a key.") from None
        async with self._slots:
            return await self._run(args)

    async def _run(self, args: TaskArgs) -> ToolOutcome:
        from m2bridge.conversation import turn_to_snake

        roots = self._roots()
        service = self._conversations(roots[0])
        try:
            if args.session_id:
                chat = await service.open(args.session_id)
                assert chat.info is not None
                _check_workspace(chat.info.id, chat.info.workspace, roots)
                chat.workspace = Path(chat.info.workspace)  # its AGENTS.md, and what its agent works on
            else:
                chat = await service.open(workspace=await _new_workspace(roots, self._workspaces))
        except M2BridgeError as err:
            raise ToolFailure(err.message) from None
        send, receive = anyio.create_memory_object_stream[str](math.inf)
        results: list[TurnResult] = []
        async with anyio.create_task_group() as group:
            group.start_soon(_relay_progress, receive)
            with send:  # the progress relay ends with the stream it reads
                on_event = _progress_of(send)
                results.append(
                    await chat.run(args.task, approver=_approved, on_event=on_event, max_steps=args.max_steps)
                )
        (result,) = results
        answer = json.dumps(turn_to_snake(result), ensure_ascii=False)
        return ToolOutcome(answer, is_error=result.error is not None)

    def _roots(self) -> tuple[Path, ...]:
        roots = self.ctx.policy.roots
        if not roots:
            raise ToolFailure("no root is open: the client's roots do not overlap the server's --root")
        return roots


async def _approved(name: str, arguments: Mapping[str, Any]) -> bool:
    """The MCP client that called m2_task approved the work: the agent's tool calls are not asked again."""
    return True


def _progress_of(send: MemoryObjectSendStream[str]) -> Callable[[AgentEvent], None]:
    """Tool starts and ends as MCP progress messages."""
    from m2bridge.agent.events import ToolEnd, ToolStart

    def on_event(event: AgentEvent) -> None:
        if isinstance(event, ToolStart):
            send.send_nowait(f"{event.name} …")
        elif isinstance(event, ToolEnd):
            send.send_nowait(f"{event.name} {'done' if event.ok else 'failed'}")

    return on_event


async def _new_workspace(roots: Sequence[Path], workspaces: WorkspaceMemo) -> Path:
    """A new session's workspace: the first root's repository, or the root itself when the repository's
    top level lies outside the roots."""
    workspace = workspaces.known(roots[0]) or await anyio.to_thread.run_sync(workspaces.detect, roots[0])
    return workspace if _covers(roots, workspace) else roots[0]


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


async def _relay_progress(receive: MemoryObjectReceiveStream[str]) -> None:
    done = 0
    async with receive:
        async for message in receive:
            done += 1
            await report_progress(done, None, message)
