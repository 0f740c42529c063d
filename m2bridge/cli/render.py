"""Agent events on a terminal: streamed answer, dimmed thinking (switchable), one line per tool call."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from m2bridge.agent import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.agent.events import TextDelta, ThinkingDelta
from m2bridge.agent.loop import tool_arguments_preview

__all__ = ["TerminalRenderer"]


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
        elif isinstance(event, UsageReport):
            pass

    def end_turn(self, context_tokens: int, window: int) -> None:
        self._switch("end")
        share = 100 * context_tokens / window if window else 0
        self.console.print(
            Text(f"context {context_tokens:,} / {window:,} tokens ({share:.0f}%)", style="dim")
        )
        self._mode = ""
