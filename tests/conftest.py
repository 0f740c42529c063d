"""Fixtures for the whole suite: the strict fake MiniMax API."""

from tests.fakes.minimax.fixture import fake_minimax

__all__ = ["fake_minimax"]
