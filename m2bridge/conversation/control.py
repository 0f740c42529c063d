"""Stopping one turn, whenever the stop arrives: before the agent exists, while it runs, or after."""

from __future__ import annotations

from m2bridge.agent import Agent

__all__ = ["TurnControl"]


class TurnControl:
    """Lets a cancel that arrives before, during or after the agent's start reach it."""

    def __init__(self) -> None:
        self.cancelled = False
        self._agent: Agent | None = None

    def attach(self, agent: Agent) -> None:
        self._agent = agent
        if self.cancelled:
            agent.cancel()

    def cancel(self) -> None:
        self.cancelled = True
        if self._agent is not None:
            self._agent.cancel()
