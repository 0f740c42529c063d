"""The interleaved agent loop: model -> tools -> model ..., with durable history and compaction."""

from m2bridge.agent.events import AgentEvent, Notice, ToolEnd, ToolStart, UsageReport
from m2bridge.agent.loop import Agent, TurnResult

__all__ = ["Agent", "AgentEvent", "Notice", "ToolEnd", "ToolStart", "TurnResult", "UsageReport"]
