"""Real Kafka: topics, the idempotent producer, consumer groups and committed offsets."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.random_refs import group_name, topic_name


async def consume(bootstrap: str, topic: str, group: str, *, expect: int, deadline_s: float) -> list[bytes]:
    """Reads `expect` messages in group `group`, commits them, and stops the consumer."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )
    await consumer.start()
    received: list[bytes] = []
    try:
        deadline = time.monotonic() + deadline_s
        while len(received) < expect and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                received.extend(m.value for m in messages)
        await consumer.commit()
    finally:
        await consumer.stop()
    return received


async def create_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
        # The broker's metadata catches up with a new topic shortly after it is created.
        deadline = time.monotonic() + 10
        while topic not in await admin.list_topics():
            assert time.monotonic() < deadline, f"{topic} was created but never listed"
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def test_committed_messages_are_not_redelivered_after_the_consumer_restarts(stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    topic, group = topic_name(), group_name()
    await create_topic(bootstrap, topic)

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = [f"first-{i}".encode() for i in range(20)]
        await asyncio.gather(*(producer.send_and_wait(topic, value, key=str(i % 4).encode()) for i, value in enumerate(sent)))
    finally:
        await producer.stop()

    first = await consume(bootstrap, topic, group, expect=20, deadline_s=30)
    assert sorted(first) == sorted(sent)

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"after-restart", key=b"0")
    finally:
        await producer.stop()

    # The same group starts again: only the message produced after the commit comes back.
    second = await consume(bootstrap, topic, group, expect=1, deadline_s=30)
    assert second == [b"after-restart"]


async def test_messages_with_one_key_keep_their_order(stack_endpoints):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    topic = topic_name("order")
    await create_topic(bootstrap, topic, partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for i in range(50):
            await producer.send(topic, str(i).encode(), key=b"merchant-1")
        await producer.flush()
    finally:
        await producer.stop()
    received = await consume(bootstrap, topic, group_name(), expect=50, deadline_s=30)
    assert [int(v) for v in received] == list(range(50))
