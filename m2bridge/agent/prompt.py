"""The system prompt: ours, plus the project's AGENTS.md."""

from __future__ import annotations

from pathlib import Path

__all__ = ["MAX_AGENTS_MD", "system_prompt"]

MAX_AGENTS_MD = 32_000

_BASE = """You are MiniMax-M2 working as a coding agent through m2bridge, in the workspace {workspace}.
Think before each step. Use the tools to read, search, edit and run things instead of guessing; \
paths are relative to the workspace root. When a tool fails, read its message and adapt. \
Keep edits minimal and in the project's style. Answer the user plainly when the work is done."""


def system_prompt(workspace: Path, extra: str = "") -> str:
    parts = [_BASE.format(workspace=workspace)]
    agents = workspace / "AGENTS.md"
    try:
        if agents.is_file() and not agents.is_symlink():
            text = agents.read_text(encoding="utf-8", errors="replace")[:MAX_AGENTS_MD]
            parts.append(f"Project instructions from AGENTS.md:\n{text}")
    except OSError:
        pass
    if extra:
        parts.append(extra)
    return "\n\n".join(parts)
