"""The one back-off schedule: doubling from the first pause, capped, starting over after a success."""

from __future__ import annotations

import asyncio

import pytest

from liveline_shared.backoff import Backoff, BackoffState, retry_forever


def test_pauses_double_up_to_the_cap():
    assert list(Backoff(first_s=0.1, max_s=0.4).delays(5)) == [0.1, 0.2, 0.4, 0.4, 0.4]


def test_a_shared_state_holds_every_task_back_and_starts_over_after_a_success():
    state = BackoffState(Backoff(first_s=0.1, max_s=0.4))
    assert [state.failed() for _ in range(4)] == [0.1, 0.2, 0.4, 0.4]
    assert state.active
    state.succeeded()
    assert state.failed() == 0.1


async def test_retry_forever_keeps_trying_until_the_call_succeeds_and_tells_each_failure():
    outcomes = iter([ConnectionError("down"), ConnectionError("still down"), None])
    failures: list[tuple[int, str, float]] = []

    async def connect() -> None:
        if error := next(outcomes):
            raise error

    attempts = await retry_forever(
        connect, Backoff(first_s=0.001, max_s=0.002), lambda n, e, d: failures.append((n, str(e), d))
    )

    assert attempts == 3
    assert failures == [(1, "down", 0.001), (2, "still down", 0.002)]


async def test_retry_forever_stops_when_cancelled():
    failing = asyncio.Event()

    async def never() -> None:
        raise ConnectionError("down")

    task = asyncio.ensure_future(retry_forever(never, Backoff(first_s=0.01, max_s=0.01), lambda *_: failing.set()))
    await asyncio.wait_for(failing.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
