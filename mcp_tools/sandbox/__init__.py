"""Commands in a sandbox: writes only inside the roots, no network unless allowed, the secrets out of reach.

`SandboxPolicy` is the user's choice; `sandbox_support()` says whether this machine can honour it;
`effective_mode` is what commands then run under (None: the process tools must be absent). Each process
tool turns the policy into a `Confinement` for its call and starts through `prepare_launch` (bubblewrap
with a seccomp filter on Linux, Seatbelt on macOS), via `mcp_tools.terminal.jobs.start_job`, the one
launcher. `denial_note` tells the model when a failure was the sandbox's doing.
"""

from __future__ import annotations

from mcp_tools.sandbox.denial import denial_note
from mcp_tools.sandbox.launch import Launch, SandboxUnavailable, prepare_launch
from mcp_tools.sandbox.policy import Confinement, SandboxMode, SandboxPolicy
from mcp_tools.sandbox.secrets import hidden_paths
from mcp_tools.sandbox.support import SandboxSupport, effective_mode, sandbox_support, startup_notice

__all__ = [
    "Confinement",
    "Launch",
    "SandboxMode",
    "SandboxPolicy",
    "SandboxSupport",
    "SandboxUnavailable",
    "denial_note",
    "effective_mode",
    "hidden_paths",
    "prepare_launch",
    "sandbox_support",
    "startup_notice",
]
