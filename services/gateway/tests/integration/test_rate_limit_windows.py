"""The rate-limit counters on the real database, with time moved by a ManualClock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from liveline_gateway.adapters.rate_limits import Limit, RateLimits
from liveline_shared.clock import ManualClock
from tests.random_refs import suffix

PER_MINUTE = Limit("test-per-minute", max_count=3, window=timedelta(minutes=1))


async def test_counters_shared_by_many_writers_count_every_attempt(db):
    # Several limiter objects stand for several gateway replicas writing the same window at once.
    clock = ManualClock(datetime(2026, 3, 24, 11, 0, 10, tzinfo=UTC))
    replicas = [RateLimits(db, clock, timeout_s=10) for _ in range(4)]
    await replicas[0].ensure_indexes()
    key = suffix()
    counts = await asyncio.gather(*(replicas[n % 4].add(PER_MINUTE, key) for n in range(20)))
    assert sorted(c.count for c in counts) == list(range(1, 21))
    assert all(c.retry_after_s == 50 for c in counts)


async def test_a_new_window_starts_from_zero_and_old_windows_are_purged(db):
    clock = ManualClock(datetime(2026, 3, 24, 11, 0, 59, tzinfo=UTC))
    limits = RateLimits(db, clock, timeout_s=10)
    await limits.ensure_indexes()
    key = suffix()
    for _ in range(4):
        last = await limits.add(PER_MINUTE, key)
    assert last.over(PER_MINUTE) and last.retry_after_s == 1

    clock.advance(timedelta(seconds=1))
    fresh = await limits.add(PER_MINUTE, key)
    assert fresh.count == 1 and not fresh.over(PER_MINUTE) and fresh.retry_after_s == 60

    await limits.purge_expired()
    remaining = await db.rate_limit_windows.find({"scope": PER_MINUTE.scope, "key": key}).to_list(None)
    assert [w["count"] for w in remaining] == [1]
