"""The fast path: from the database write to the event on Kafka, p99 within 100 ms on an idle system."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

import pytest

from liveline_shared.outbox import merge_updates, outbox_update
from liveline_shared.relay import OutboxRelay
from tests.random_refs import suffix

WRITES = 200


@pytest.mark.slow
async def test_notified_events_reach_kafka_within_100_ms_at_p99(db, bootstrap, reader, new_event):
    things = f"things_{suffix()}"
    latencies_ms: list[float] = []
    async with OutboxRelay(db, [things], bootstrap) as relay:
        await relay.ensure_indexes()
        await reader.poll()  # the first fetch connects; keep that out of the measurement
        for number in range(WRITES):
            thing_id = f"thing-{number % 20}"
            event = new_event(thing_id, number)
            written_at = time.perf_counter()
            await db[things].update_one(
                {"_id": thing_id},
                merge_updates({"$set": {"change": number}}, outbox_update(event, now=datetime.now(UTC))),
                upsert=True,
            )
            relay.notify(things, thing_id)
            # Measured by the test's own consumer: it sees a message only once Kafka has acknowledged it.
            await reader.wait_for([str(event.event_id)], deadline_s=10)
            received = next(r for r in reversed(reader.received) if r.event_id == str(event.event_id))
            latencies_ms.append((received.at - written_at) * 1000)

    percentiles = statistics.quantiles(latencies_ms, n=100)
    p50, p99 = percentiles[49], percentiles[98]
    print(f"write to Kafka over {WRITES} writes: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies_ms):.1f} ms")
    assert p99 <= 100
