"""The model client tells its `on_retry` hook about each retry before waiting, against the strict fake."""

import anyio
import pytest

from m2bridge.client.events import RetryScheduled
from m2bridge.client.model import ModelClient
from m2bridge.client.request import ModelRequest
from m2bridge.errors import ModelError
from m2bridge.messages import UserTurn
from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env, settings_for


def request() -> ModelRequest:
    return ModelRequest(system="You are tested.", turns=[UserTurn(text="hi")])


async def test_each_retry_is_announced_with_its_cause_and_wait_before_the_client_sleeps(
    tmp_path, fake_minimax
):
    fake_minimax.script(Fault.rate_limited(retry_after=0.25), Fault.server_error(), Reply("third time"))
    heard: list[RetryScheduled] = []
    slept: list[tuple[float, int]] = []

    async def sleep(delay: float) -> None:
        slept.append((delay, len(heard)))  # how many retries had been announced when the wait began
        await anyio.sleep(0)

    settings = settings_for(m2_env(tmp_path, fake_minimax))
    async with ModelClient(settings, sleep=sleep, on_retry=heard.append) as client:
        turn = await client.exchange(request()).run()
    assert turn.text == "third time"
    assert [(h.error.status, h.retry, h.limit) for h in heard] == [
        (429, 1, settings.max_retries),
        (500, 2, settings.max_retries),
    ]
    assert heard[0].delay == 0.25 and [s[1] for s in slept] == [1, 2]
    assert [s[0] for s in slept] == [h.delay for h in heard]


async def test_a_failure_that_is_not_retried_is_not_announced(tmp_path, fake_minimax):
    fake_minimax.script(Fault.api_error(2049, "invalid api key", 401))
    heard: list[RetryScheduled] = []
    settings = settings_for(m2_env(tmp_path, fake_minimax))
    async with ModelClient(settings, on_retry=heard.append) as client:
        with pytest.raises(ModelError) as caught:
            await client.exchange(request()).run()
    assert caught.value.code == "auth"
    assert heard == []
