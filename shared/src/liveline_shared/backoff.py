"""Capped exponential back-off: the one schedule every retry in liveline waits by.

`Backoff` is the schedule (first pause, doubling, never above the cap). `BackoffState` counts
failures in a row and says when the next try may start, for loops and for tasks that share one
state so that none of them retries early. `retry_forever` is the loop that connects to
something that may not be there yet.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.2
    max_s: float = 5.0

    def delay(self, failures: int) -> float:
        """The pause after `failures + 1` failures in a row."""
        return min(self.first_s * 2**failures, self.max_s)

    def delays(self, count: int | None = None) -> Iterator[float]:
        """The pauses in order; endless unless `count` is given."""
        failures = itertools.count() if count is None else range(count)
        return (self.delay(n) for n in failures)


class BackoffState:
    """Failures in a row of one loop (or of several tasks sharing it), and when to try next."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.failures = 0
        self._resume_at = 0.0

    @property
    def active(self) -> bool:
        return time.monotonic() < self._resume_at

    def failed(self) -> float:
        """Counts a failure; the pause before the next try."""
        delay = self.backoff.delay(self.failures)
        self.failures += 1
        self._resume_at = max(self._resume_at, time.monotonic() + delay)
        return delay

    def succeeded(self) -> None:
        self.failures = 0

    async def wait(self) -> None:
        """Returns once the pause of the last failure is over."""
        while (remaining := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

    async def pause(self) -> None:
        """Counts a failure and sleeps its pause."""
        await asyncio.sleep(self.failed())


async def retry_forever(
    call: Callable[[], Awaitable[None]],
    backoff: Backoff,
    on_failure: Callable[[int, Exception, float], Awaitable[None] | None],
) -> int:
    """Calls `call` until it returns, pausing by `backoff` after each failure; the attempts it took.

    `on_failure(attempt, error, retry_in_s)` is told of each failure (to log it, or to clean up).
    """
    for attempt, delay in enumerate(backoff.delays(), start=1):
        try:
            await call()
        except Exception as error:  # noqa: BLE001 - every failure is retried
            outcome = on_failure(attempt, error, delay)
            if outcome is not None:
                await outcome
            await asyncio.sleep(delay)
            continue
        return attempt
    raise AssertionError("unreachable: the delays never end")
