"""A Kafka outage: the relay waits with backoff (no busy loop) and publishes once Kafka is back."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from liveline_shared.outbox import PENDING, merge_updates, outbox_update
from liveline_shared.relay import OutboxRelay
from tests.random_refs import suffix

from .conftest import TOPIC_PARTITIONS, TopicReader


@pytest.mark.slow
async def test_events_written_while_kafka_is_down_are_published_when_it_returns(db, own_kafka, topic, new_event):
    bootstrap = own_kafka.bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=TOPIC_PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    things = f"things_{suffix()}"

    async def write(event) -> None:
        await db[things].update_one(
            {"_id": event.key},
            merge_updates({"$set": {"change": event.change}}, outbox_update(event, now=datetime.now(UTC))),
            upsert=True,
        )
        relay.notify(things, event.key)

    before, during = new_event("thing-1", 1), new_event("thing-1", 2)
    relay = OutboxRelay(db, [things], bootstrap, poll_interval_s=0.2, lease_s=10, publish_timeout_s=2, max_backoff_s=2)
    async with relay:
        reader = TopicReader(bootstrap, topic)
        await reader.start()
        await write(before)
        await reader.wait_for([str(before.event_id)], deadline_s=30)
        await reader.stop()

        await asyncio.to_thread(own_kafka.stop)
        await write(during)
        cpu_before, wall_before = time.process_time(), time.monotonic()
        await asyncio.sleep(5)  # a window of outage to measure, not a wait for a result
        cpu_share = (time.process_time() - cpu_before) / (time.monotonic() - wall_before)
        assert (await db[things].find_one({"_id": "thing-1"}))[PENDING] == 1

        await asyncio.to_thread(own_kafka.start)
        reader = TopicReader(bootstrap, topic)
        deadline = time.monotonic() + 90
        while True:
            try:
                await reader.start()
                break
            except Exception:
                assert time.monotonic() < deadline, "kafka did not come back"
                await asyncio.sleep(0.5)
        try:
            await reader.wait_for([str(during.event_id)], deadline_s=90)
        finally:
            await reader.stop()

    print(f"CPU share of the test process while Kafka was down: {cpu_share:.1%}")
    assert cpu_share < 0.2
    assert [r.event_id for r in reader.received if r.event_id == str(during.event_id)] == [str(during.event_id)]
