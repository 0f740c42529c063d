"""Agent events on a terminal: streamed answer, dimmed thinking (switchable), one line per tool call."""

from __future__ import annotations

from typing import TextIO, assert_type

from rich.console import Console
from rich.text import Text

from m2bridge.agent import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.agent.loop import tool_arguments_preview
from m2bridge.client.events import RetryScheduled, TextDelta, ThinkingDelta

__all__ = ["TerminalRenderer", "console_for", "retry_text"]

# Wide enough that no line a pipe carries is folded or cut (rich assumes 80 columns off a terminal).
_PIPE_WIDTH = 1_000_000

# What to call a failure that has neither an HTTP status nor a MiniMax code.
_CAUSES = {
    "connection": "cannot connect",
    "timeout": "timed out",
    "stream_cut": "connection dropped",
    "bad_response": "unreadable answer",
}


def console_for(stream: TextIO) -> Console:
    """A console on `stream`; off a terminal (a pipe, a file) lines pass through whole and uncoloured."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return Console(file=stream, highlight=False)
    return Console(file=stream, highlight=False, soft_wrap=True, width=_PIPE_WIDTH)


def retry_text(event: RetryScheduled) -> str:
    """'429, retrying in 2 s (retry 1 of 4)'."""
    err = event.error
    if err.status == 429:
        cause = "429"
    elif err.status is not None:
        cause = f"HTTP {err.status}"
    elif err.api_code is not None:
        cause = f"MiniMax error {err.api_code}"
    else:
        cause = _CAUSES.get(err.code, err.code)
    wait = f"{event.delay:.0f} s" if event.delay >= 1 else f"{event.delay:.1f} s"
    return f"{cause}, retrying in {wait} (retry {event.retry} of {event.limit})"


class TerminalRenderer:
    def __init__(self, console: Console, *, show_thinking: bool = True) -> None:
        self.console = console
        self.show_thinking = show_thinking
        self._mode = ""

    def _switch(self, mode: str) -> None:
        if self._mode and self._mode != mode:
            self.console.print()
        self._mode = mode

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, ThinkingDelta):
            if self.show_thinking:
                self._switch("thinking")
                self.console.print(Text(event.text, style="dim italic"), end="")
        elif isinstance(event, TextDelta):
            self._switch("text")
            self.console.print(Text(event.text), end="")
        elif isinstance(event, ToolStart):
            self._switch("tool")
            self.console.print(
                Text(f"⚙ {event.name} {tool_arguments_preview(event.arguments)}", style="cyan")
            )
        elif isinstance(event, ToolEnd):
            self._switch("tool")
            mark, style = ("✓", "green") if event.ok else ("✗", "red")
            self.console.print(Text(f"  {mark} {event.summary}", style=style))
        elif isinstance(event, Notice):
            self._switch("notice")
            self.console.print(Text(f"[m2bridge] {event.text}", style="yellow"))
        else:
            # Usage is shown once the turn ends; the checker fails here when a new event kind goes unshown.
            assert_type(event, UsageReport)

    def retrying(self, event: RetryScheduled) -> None:
        """The model client's on_retry hook: say what the pause is for."""
        self._switch("notice")
        self.console.print(Text(f"[m2bridge] {retry_text(event)}", style="yellow"))

    def end_turn(self, context_tokens: int, window: int) -> None:
        self._switch("end")
        share = 100 * context_tokens / window if window else 0
        self.console.print(
            Text(f"context {context_tokens:,} / {window:,} tokens ({share:.0f}%)", style="dim")
        )
        self._mode = ""
