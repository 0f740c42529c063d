"""What every tool shares: the path policy, the spill folder, the environment children get, the budget,
the sandbox policy."""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from m2bridge.tools import Workspace
from mcp_tools.budget import DEFAULT_BUDGET, Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import SandboxPolicy

if TYPE_CHECKING:  # the terminal package imports this module
    from mcp_tools.terminal.editor_port import CommandTerminal

__all__ = ["SECRET_VARIABLES", "ToolContext", "child_environment"]

# Never handed to a child process: the model keys and the MCP HTTP token.
SECRET_VARIABLES = frozenset({"MINIMAX_API_KEY", "M2BRIDGE_API_KEY", "M2BRIDGE_HTTP_TOKEN"})

# Shorter values would blank out ordinary words; real keys and tokens are far longer.
_SHORTEST_SECRET = 8

# The roots a client announced, narrowed against ours, for the call in progress.
_narrowed: ContextVar[PathPolicy | None] = ContextVar("narrowed_policy", default=None)


def child_environment(env: Mapping[str, str], secrets: tuple[str, ...] = ()) -> dict[str, str]:
    """`env` without the secret variables, nor any variable whose value is one of `secrets`."""
    hidden = {s for s in secrets if s}
    return {
        name: value
        for name, value in env.items()
        if name not in SECRET_VARIABLES and value not in hidden and not name.endswith("_API_KEY")
    }


@dataclass
class ToolContext:
    base_policy: PathPolicy
    spill: Spill
    workspace: Workspace
    child_env: Mapping[str, str] = field(default_factory=lambda: child_environment(os.environ))
    budget: int = DEFAULT_BUDGET
    # Values (the API key, the HTTP token) that never go back in a tool's answer, whatever printed them.
    secrets: tuple[str, ...] = ()
    # How the process tools confine the commands they start (`mcp_tools.sandbox`).
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)
    # The editor's terminal, where the front door has one (ACP): run_command runs its commands there.
    terminal: CommandTerminal | None = None

    def redact(self, text: str) -> str:
        """`text` with every secret's literal value replaced: a command may print a `.env` or its parent's
        environment, and the answer is shown to the model and stored in the session."""
        for secret in self.secrets:
            if len(secret) >= _SHORTEST_SECRET and secret in text:
                text = text.replace(secret, "[secret removed]")
        return text

    @property
    def policy(self) -> PathPolicy:
        return _narrowed.get() or self.base_policy

    @contextmanager
    def narrowed_to(self, policy: PathPolicy) -> Generator[None]:
        token = _narrowed.set(policy)
        try:
            yield
        finally:
            _narrowed.reset(token)

    def resolve(self, raw: object, *, write: bool = False) -> Path:
        return self.policy.resolve(raw, write=write)

    def show(self, path: Path) -> str:
        return self.policy.relative(path)
