"""A redelivered event changes nothing: apply_once on real FerretDB, and duplicates through real Kafka."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from liveline_shared.consumer import register_consumer
from liveline_shared.idempotence import APPLIED_FIELD, APPLIED_WINDOW, CONSUMED_EVENTS, apply_once
from liveline_shared.events import Event
from shared.tests.integration.support import (
    new_broker,
    new_topic,
    one_event_of_each_type,
    publish_event,
    running,
    wait_until,
)
from tests.random_refs import group_name, suffix


async def test_apply_once_applies_the_same_event_id_once(db):
    await db.orders.insert_one({"_id": "ord-1", "redemptions": 0})

    first = await apply_once(db.orders, {"_id": "ord-1"}, {"$inc": {"redemptions": 1}}, "event-1")
    again = await apply_once(db.orders, {"_id": "ord-1"}, {"$inc": {"redemptions": 1}}, "event-1")
    other = await apply_once(db.orders, {"_id": "ord-1"}, {"$inc": {"redemptions": 1}}, "event-2")

    assert (first, again, other) == (True, False, True)
    assert (await db.orders.find_one({"_id": "ord-1"}))["redemptions"] == 2


async def test_apply_once_upserts_a_missing_document_once(db):
    update = {"$inc": {"seen": 1}, "$setOnInsert": {"kind": "tally"}}

    assert await apply_once(db.tallies, {"_id": "m-1"}, update, "event-1", upsert=True)
    assert not await apply_once(db.tallies, {"_id": "m-1"}, update, "event-1", upsert=True)

    assert await db.tallies.find_one({"_id": "m-1"}) == {
        "_id": "m-1", "seen": 1, "kind": "tally", APPLIED_FIELD: ["event-1"],
    }


async def test_apply_once_does_not_apply_when_the_filters_condition_fails(db):
    await db.deals.insert_one({"_id": "deal-1", "stock": 0})

    taken = await apply_once(db.deals, {"_id": "deal-1", "stock": {"$gt": 0}}, {"$inc": {"stock": -1}}, "event-1")

    assert not taken
    assert (await db.deals.find_one({"_id": "deal-1"}))["stock"] == 0


async def test_apply_once_remembers_only_the_latest_event_ids(db):
    await db.orders.insert_one({"_id": "ord-2", "n": 0})
    for i in range(APPLIED_WINDOW + 5):
        assert await apply_once(db.orders, {"_id": "ord-2"}, {"$inc": {"n": 1}}, f"event-{i}")

    document = await db.orders.find_one({"_id": "ord-2"})
    assert document["n"] == APPLIED_WINDOW + 5
    assert document[APPLIED_FIELD] == [f"event-{i}" for i in range(5, APPLIED_WINDOW + 5)]


def duplicates_counted(topic: str, consumer: str) -> float:
    return REGISTRY.get_sample_value("liveline_events_duplicate_total", {"topic": topic, "consumer": consumer}) or 0.0


async def test_an_event_delivered_twice_through_kafka_is_applied_once(bootstrap, db):
    topic = await new_topic(bootstrap, "orders", partitions=3)
    consumer = group_name("order-stats")
    order_id = f"ord-{suffix()}"
    placed = one_event_of_each_type(order_id)[0]
    later = placed.model_copy(update={"event_id": uuid.uuid4()})
    calls: list[str] = []

    async def count_order(event: Event) -> None:
        calls.append(str(event.event_id))
        await apply_once(db.order_stats, {"_id": event.order_id}, {"$inc": {"placed": 1}}, event.event_id, upsert=True)

    broker = new_broker(bootstrap)
    register_consumer(broker, name=consumer, topic=topic, db=db, handler=count_order, event_types={"OrderPlaced"})
    async with running(broker):
        await publish_event(bootstrap, topic.name, placed)
        await publish_event(bootstrap, topic.name, placed)
        # Same key, same partition: once `later` is applied, both copies of `placed` were seen.
        await publish_event(bootstrap, topic.name, later)

        async def later_applied() -> bool:
            return await db[CONSUMED_EVENTS].find_one({"_id": f"{consumer}:{later.event_id}"}) is not None

        await wait_until(later_applied, what="the third message to be applied")

    assert calls == [str(placed.event_id), str(later.event_id)]
    assert (await db.order_stats.find_one({"_id": order_id}))["placed"] == 2
    assert duplicates_counted(topic.name, consumer) == 1
