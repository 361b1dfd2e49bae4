"""An unreachable database is not the message's fault: no commit, no dead letter, redelivery later."""

from __future__ import annotations

import socket

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from liveline_shared.consumer import RetryPolicy, register_consumer
from liveline_shared.idempotence import apply_once
from liveline_shared.events import Event
from shared.tests.integration.support import (
    committed_offset,
    new_broker,
    new_topic,
    one_event_of_each_type,
    publish_event,
    running,
    wait_until,
)
from tests.random_refs import group_name, suffix


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def dead_letter_count(bootstrap: str, topic: str) -> int:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await reader.start()
    try:
        partition = TopicPartition(topic, 0)
        return (await reader.end_offsets([partition]))[partition]
    finally:
        await reader.stop()


async def test_an_event_whose_database_is_unreachable_is_redelivered_until_it_is_back(bootstrap, db):
    topic = await new_topic(bootstrap, "orders")
    consumer = group_name("order-stats")
    placed = one_event_of_each_type(f"ord-{suffix()}")[0]
    unreachable = AsyncMongoClient(f"mongodb://127.0.0.1:{closed_port()}/", serverSelectionTimeoutMS=300)
    store = {"db": unreachable[db.name]}
    deliveries: list[int] = []

    async def count_order(event: Event) -> None:
        deliveries.append(1)
        await apply_once(store["db"].order_stats, {"_id": event.order_id}, {"$inc": {"placed": 1}}, event.event_id, upsert=True)

    broker = new_broker(bootstrap)
    register_consumer(
        broker, name=consumer, topic=topic, db=db, handler=count_order,
        retry=RetryPolicy(attempts=3, first_delay_s=0.1, max_delay_s=0.5),
    )
    try:
        async with running(broker):
            await publish_event(bootstrap, topic.name, placed)

            async def redelivered() -> bool:
                return len(deliveries) >= 2

            await wait_until(redelivered, what="the message to come back after infrastructure failures")
            assert await committed_offset(bootstrap, topic.name, consumer) is None
            assert await dead_letter_count(bootstrap, topic.dead_letters) == 0

            store["db"] = db  # the database is back

            async def committed() -> bool:
                return await committed_offset(bootstrap, topic.name, consumer) == 1

            await wait_until(committed, what="the commit once the database answers")
    finally:
        await unreachable.close()

    assert (await db.order_stats.find_one({"_id": placed.order_id}))["placed"] == 1
    assert await dead_letter_count(bootstrap, topic.dead_letters) == 0
