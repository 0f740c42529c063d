"""run_command in the editor's terminal (`terminal/*`), when the editor offers `terminal: true`.

The editor starts the command line the tool hands it (already wrapped in the sandbox: see
`mcp_tools.sandbox.enter`), and the terminal is embedded in the tool call being run, so the user watches
the command there. The session comes from `current_session` (set by session/prompt), the call from
`current_tool_call` (set by the engine in each call's task).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar

from acp import update_tool_call
from acp.interfaces import Client
from acp.schema import ClientCapabilities, EnvVariable, TerminalToolCallContent, ToolCallProgress

from acp_agent.sessions import current_session
from m2bridge.tools import current_tool_call
from mcp_tools.failure import ToolFailure
from mcp_tools.terminal.editor_port import CommandTerminal, TerminalExit, TerminalOutput

__all__ = [
    "TERMINAL_WAIT",
    "AcpTerminal",
    "EditorTerminals",
    "shown_terminals",
    "terminal_for",
    "turn_updates",
]

log = logging.getLogger("m2bridge.acp")

# How long a terminal request other than wait_for_exit may stay unanswered; M2BRIDGE_ACP_EDITOR_WAIT.
TERMINAL_WAIT = float(os.environ.get("M2BRIDGE_ACP_EDITOR_WAIT", "60"))

# The terminals each tool call showed, by (session, call id): an update's content replaces the call's whole
# content, so the call's last update must list them again (see `shown_terminals`). Bounded: calls that
# never end cannot make it grow without end.
_shown: dict[tuple[str, str], list[str]] = {}

# The running turn's update queue (the relay's `put`, set by session/prompt): the terminal joins the turn's
# one ordered stream, after the tool_call that announced its call. Outside a turn it is sent directly.
turn_updates: ContextVar[Callable[[ToolCallProgress], None] | None] = ContextVar(
    "acp_turn_updates", default=None
)
_SHOWN_LIMIT = 1000


def shown_terminals(session_id: str, call_id: str) -> list[TerminalToolCallContent]:
    """The terminals the call showed, forgotten here: for the content of the call's last update."""
    return [
        TerminalToolCallContent(type="terminal", terminal_id=terminal_id)
        for terminal_id in _shown.pop((session_id, call_id), [])
    ]


class AcpTerminal:
    """One command running in the editor's terminal `terminal_id`."""

    def __init__(self, client: Client, session_id: str, terminal_id: str) -> None:
        self._client = client
        self._session_id = session_id
        self.terminal_id = terminal_id

    async def output(self) -> TerminalOutput:
        answer = await asyncio.wait_for(
            self._client.terminal_output(session_id=self._session_id, terminal_id=self.terminal_id),
            TERMINAL_WAIT,
        )
        status = answer.exit_status
        ended = None if status is None else TerminalExit(status.exit_code, status.signal)
        return TerminalOutput(answer.output, answer.truncated, ended)

    async def wait_for_exit(self) -> TerminalExit:
        # Unbounded here: run_command's own timeout bounds it, and kills the command when it is reached.
        answer = await self._client.wait_for_terminal_exit(
            session_id=self._session_id, terminal_id=self.terminal_id
        )
        return TerminalExit(answer.exit_code, answer.signal)

    async def kill(self) -> None:
        await asyncio.wait_for(
            self._client.kill_terminal(session_id=self._session_id, terminal_id=self.terminal_id),
            TERMINAL_WAIT,
        )

    async def release(self) -> None:
        await asyncio.wait_for(
            self._client.release_terminal(session_id=self._session_id, terminal_id=self.terminal_id),
            TERMINAL_WAIT,
        )


class EditorTerminals:
    """The `CommandTerminal` of one editor connection, shared by the sessions of a folder."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(
        self, program: Sequence[str], *, cwd: str, env: Mapping[str, str], output_byte_limit: int
    ) -> AcpTerminal:
        session = current_session.get()
        if session is None:
            raise ToolFailure("no editor session is running a turn, so there is no terminal to run in")
        try:
            answer = await asyncio.wait_for(
                self._client.create_terminal(
                    session_id=session,
                    command=program[0],
                    args=list(program[1:]),
                    env=[EnvVariable(name=name, value=value) for name, value in env.items()],
                    cwd=cwd,
                    output_byte_limit=output_byte_limit,
                ),
                TERMINAL_WAIT,
            )
        except TimeoutError:
            raise ToolFailure(
                f"the editor did not answer terminal/create within {TERMINAL_WAIT:g} s; whether the "
                "command started is unknown"
            ) from None
        except Exception as err:
            raise ToolFailure(f"the editor did not start the command ({err}); nothing was run") from err
        call = current_tool_call.get()
        if call:
            if len(_shown) >= _SHOWN_LIMIT:
                _shown.pop(next(iter(_shown)))
            _shown.setdefault((session, call), []).append(answer.terminal_id)
            shown = TerminalToolCallContent(type="terminal", terminal_id=answer.terminal_id)
            update = update_tool_call(call, content=[shown])
            queue = turn_updates.get()
            if queue is not None:
                queue(update)
            else:
                try:
                    await self._client.session_update(session, update)
                except Exception as err:  # the command runs all the same; the user just does not see it
                    log.warning("session %s: the terminal was not shown in its call (%s)", session, err)
        return AcpTerminal(self._client, session, answer.terminal_id)


def terminal_for(client: Client, capabilities: ClientCapabilities | None) -> CommandTerminal | None:
    """The editor's terminal where it offers one (`terminal: true`); None: commands run here."""
    if capabilities is None or not capabilities.terminal:
        return None
    return EditorTerminals(client)
