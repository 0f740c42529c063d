"""The `fake_media` pytest fixture; import it into tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.media.fake import FakeMedia


@pytest.fixture
def fake_media() -> Iterator[FakeMedia]:
    """A started FakeMedia (api_key "test-key"); the test fails at teardown if it saw any violation."""
    fake = FakeMedia()
    with fake:
        yield fake
    fake.fail_on_violations("fake MiniMax media")
