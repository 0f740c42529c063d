"""The attack world (`world.py`) as a fixture."""

from tests.mcp_tools.sandbox.world import world

__all__ = ["world"]
