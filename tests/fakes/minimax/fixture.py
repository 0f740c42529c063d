"""The `fake_minimax` pytest fixture; import it into tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.minimax.fake import FakeMiniMax


@pytest.fixture
def fake_minimax() -> Iterator[FakeMiniMax]:
    """A started FakeMiniMax; the test fails at teardown if the fake saw any violation."""
    fake = FakeMiniMax()
    with fake:
        yield fake
    fake.fail_on_violations("fake MiniMax")
