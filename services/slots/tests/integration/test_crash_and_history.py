"""The slots service as separate processes: killed between consuming OrderPlaced and publishing
its offer, it publishes the offer once after a restart; QueueTicks published straight to Kafka
become the predicted wait of the next offer."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from liveline_shared.events import QueueTick
from liveline_shared.events.topics import SLOTS
from liveline_shared.outbox import PENDING
from services.slots.tests.integration.conftest import slots_process
from services.slots.tests.integration.support import customer, headers, new_merchant, offer_of, order_placed, publish
from tests.random_refs import database_name, suffix
from tests.topic_events import topic_events


async def wait_for_document(collection, document_id: str, condition, *, deadline_s: float = 90) -> dict:
    deadline = time.monotonic() + deadline_s
    while True:
        document = await collection.find_one({"_id": document_id})
        if document is not None and condition(document):
            return document
        assert time.monotonic() < deadline, f"{document_id}: {document}"
        await asyncio.sleep(0.1)


async def test_a_slots_service_killed_before_publishing_an_offer_publishes_it_once_after_restart(
    stack_endpoints, slots_order_service, order_client, producer
):
    database, prefix = database_name("slots_crash"), f"test-{suffix()}-"
    merchant_id = await new_merchant(order_client)
    placed = order_placed(merchant_id, customer())
    mongo: AsyncMongoClient = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    try:
        # This copy consumes and writes its outbox but never publishes: the crash window held open.
        holding = slots_process(stack_endpoints, slots_order_service, database, "crash-holding", prefix,
                                LIVELINE_SLOTS_RELAY_ENABLED="false")
        holding.start()
        try:
            holding.wait_ready(timeout=90)
            await publish(producer, placed)
            held = await wait_for_document(mongo[database].order_slots, placed.order_id, lambda d: d.get(PENDING) == 1)
        finally:
            holding.process.kill()
        # Other copies of the service on this Kafka offer the same order too: this copy's offer is its own id.
        ours = {"order_id": placed.order_id, "offer_id": held["offer"]["offer_id"]}
        assert await topic_events(stack_endpoints.kafka_bootstrap_servers, SLOTS.name,
                                  where=ours, expect=0, deadline_s=5, settle_s=1) == []

        restarted = slots_process(stack_endpoints, slots_order_service, database, "crash-restarted", prefix)
        with restarted.running():
            offered = await topic_events(stack_endpoints.kafka_bootstrap_servers, SLOTS.name,
                                         where=ours, expect=1, deadline_s=60, settle_s=3)
            document = await wait_for_document(mongo[database].order_slots, placed.order_id, lambda d: d.get(PENDING) == 0)
    finally:
        await mongo.close()
    assert [event["event_type"] for event in offered] == ["SlotOffered"]
    assert offered[0]["causation_id"] == str(placed.event_id)
    assert document["offers_made"] == 1 and document["offer"]["offer_id"] == offered[0]["offer_id"]


async def test_queue_ticks_published_to_kafka_become_the_predicted_wait_of_that_weekday_and_period(
    client, order_client, producer
):
    merchant_id = await new_merchant(order_client, "Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    tomorrow = (datetime.now(shanghai) + timedelta(days=1)).date()
    ticks = []
    # Tomorrow's weekday, one and two weeks ago: lunch (11:00-14:00) queues of 12 and 24 minutes.
    for weeks_ago, wait in ((2, 12), (1, 24)):
        day = tomorrow - timedelta(weeks=weeks_ago)
        start = datetime.combine(day, datetime.min.time(), tzinfo=shanghai).replace(hour=11).astimezone(UTC)
        ticks += [
            QueueTick(occurred_at=start + timedelta(minutes=minute), producer="external-queue-system",
                      merchant_id=merchant_id, waiting_parties=4, waiting_people=11, estimated_wait_minutes=wait)
            for minute in range(0, 181, 10)
        ]
    await publish(producer, *ticks)

    buyer = customer()
    placed = order_placed(merchant_id, buyer)
    await publish(producer, placed)

    def lunch_tomorrow(offer: dict) -> dict:
        return next(s for s in offer["slots"] if s["local_date"] == tomorrow.isoformat() and s["meal_period"] == "lunch")

    # The ticks and the order travel on different topics: wait until the history reached the offer.
    offer = await offer_of(client, placed.order_id, buyer)
    deadline = time.monotonic() + 60
    while (lunch_tomorrow(offer)["predicted_wait"] or {}).get("services") != 2:
        assert time.monotonic() < deadline, offer
        offer = (await client.post(f"/orders/{placed.order_id}/offer", headers=headers(buyer))).json()
        await asyncio.sleep(0.1)
    assert lunch_tomorrow(offer)["predicted_wait"] == {"low_minutes": 15, "high_minutes": 21, "services": 2}
    dinner = next(s for s in offer["slots"] if s["local_date"] == tomorrow.isoformat() and s["meal_period"] == "dinner")
    assert dinner["predicted_wait"] is None

