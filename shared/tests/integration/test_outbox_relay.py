"""The outbox relay against real Kafka and FerretDB: delivery, order, leases and two relays at once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from liveline_shared.clock import ManualClock
from liveline_shared.outbox import (
    LEASE,
    LEASE_UNTIL,
    OUTBOX,
    PENDING,
    merge_updates,
    outbox_fields,
    outbox_update,
)
from liveline_shared.relay import OutboxRelay
from tests.random_refs import suffix


async def test_events_written_with_a_change_reach_kafka_in_order_and_leave_the_document(
    db, bootstrap, reader, new_event, no_pending_within
):
    orders, carts = f"orders_{suffix()}", f"carts_{suffix()}"
    first, second, third = new_event("order-1", 1), new_event("order-1", 2), new_event("order-1", 3)
    other = new_event("cart-1", 1)

    async with OutboxRelay(db, [orders, carts], bootstrap, poll_interval_s=0.2) as relay:
        await db[orders].update_one(
            {"_id": "order-1"},
            merge_updates({"$set": {"status": "placed"}}, outbox_update(first, second, now=datetime.now(UTC))),
            upsert=True,
        )
        relay.notify(orders, "order-1")
        await db[orders].update_one(
            {"_id": "order-1"},
            merge_updates({"$set": {"status": "redeemed"}}, outbox_update(third, now=datetime.now(UTC))),
        )
        relay.notify(orders, "order-1")
        # Not notified: the sweep finds it.
        await db[carts].insert_one({"_id": "cart-1", "items": 2, **outbox_fields(other, now=datetime.now(UTC))})

        await reader.wait_for([str(e.event_id) for e in (first, second, third, other)], deadline_s=30)
        await no_pending_within(orders)
        await no_pending_within(carts)

    by_id = {r.event_id: r for r in reader.received}
    for event in (first, second, third, other):
        message = by_id[str(event.event_id)]
        assert message.key == event.key
        assert json.loads(message.body) == json.loads(event.model_dump_json())
        assert message.headers == event.headers()
    assert [r.event_id for r in reader.received if r.key == "order-1"] == [
        str(first.event_id), str(second.event_id), str(third.event_id)
    ]
    order = await db[orders].find_one({"_id": "order-1"})
    assert order["status"] == "redeemed"
    assert order[OUTBOX] == {} and order[PENDING] == 0
    assert LEASE not in order and LEASE_UNTIL not in order


async def test_a_dead_relays_lease_is_taken_over_once_it_expires(db, bootstrap, reader, new_event, apply_events):
    things = f"things_{suffix()}"
    clock = ManualClock(datetime.now(UTC))
    event = new_event("thing-1")
    await db[things].insert_one({"_id": "thing-1", **outbox_fields(event, now=clock.now())})
    # What a relay that claimed the document and then died leaves behind.
    await db[things].update_one(
        {"_id": "thing-1"}, {"$set": {LEASE: "dead-relay", LEASE_UNTIL: clock.now() + timedelta(seconds=30)}}
    )

    relay = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)
    try:
        assert await relay.run_once() == 0
        clock.advance(timedelta(seconds=31))
        assert await relay.run_once() == 1
    finally:
        await relay.stop()

    await reader.wait_for([str(event.event_id)], deadline_s=30)
    await reader.read_to_end()
    assert [r.event_id for r in reader.received] == [str(event.event_id)]
    assert await apply_events(reader.received) == (1, 0)
    assert (await db[things].find_one({"_id": "thing-1"}))[PENDING] == 0


async def test_two_relays_publish_a_thousand_events_and_no_event_twice(
    db, bootstrap, reader, new_event, apply_events, no_pending_within
):
    things = f"things_{suffix()}"
    documents, events_per_document = 200, 5
    now = datetime.now(UTC)
    written: list[str] = []
    batch = []
    for number in range(documents):
        events = [new_event(f"thing-{number}", change) for change in range(events_per_document)]
        written.extend(str(e.event_id) for e in events)
        batch.append({"_id": f"thing-{number}", **outbox_fields(*events, now=now)})
    await db[things].insert_many(batch)

    published_by: Counter[str] = Counter()

    def counting(relay_name: str):
        async def count(collection, document_id, events) -> None:
            published_by[relay_name] += len(events)

        return count

    # Small batches, so that neither relay has leased every document before the other one starts.
    relay_a = OutboxRelay(db, [things], bootstrap, relay_id="relay-a", after_publish=counting("a"), batch_documents=5)
    relay_b = OutboxRelay(db, [things], bootstrap, relay_id="relay-b", after_publish=counting("b"), batch_documents=5)
    async with relay_a, relay_b:
        await reader.wait_for(written, deadline_s=120)
        await no_pending_within(things)
    await reader.read_to_end()

    print(f"published by relay a: {published_by['a']}, by relay b: {published_by['b']}")
    assert len(reader.ids()) == 1000
    # The leases never expired here, so a second publication would mean both relays held one document.
    assert len(reader.received) == 1000
    assert published_by["a"] + published_by["b"] == 1000
    assert published_by["a"] > 0 and published_by["b"] > 0
    assert await apply_events(reader.received) == (1000, 0)
    for number in range(0, documents, 37):
        keyed = [r for r in reader.received if r.key == f"thing-{number}"]
        assert [json.loads(r.body)["change"] for r in keyed] == list(range(events_per_document))


async def test_events_written_with_the_relays_lease_go_out_once_without_a_claim(
    db, bootstrap, reader, new_event, apply_events, no_pending_within
):
    things = f"things_{suffix()}"
    events = [new_event("thing-1", number) for number in range(3)]
    async with OutboxRelay(db, [things], bootstrap, poll_interval_s=0.2) as relay:
        claims = 0
        claim, claim_many = relay.store.claim, relay.store.claim_many

        async def counted_claim(*args):
            nonlocal claims
            claims += 1
            return await claim(*args)

        async def counted_claim_many(collection, document_ids, lease_token):
            nonlocal claims
            claims += len(document_ids)
            return await claim_many(collection, document_ids, lease_token)

        relay.store.claim = counted_claim  # type: ignore[method-assign]
        relay.store.claim_many = counted_claim_many  # type: ignore[method-assign]
        for event in events:
            lease = relay.write_lease()
            await db[things].update_one(
                {"_id": "thing-1"},
                merge_updates({"$inc": {"changes": 1}}, outbox_update(event, now=datetime.now(UTC)), lease.update()),
                upsert=True,
            )
            relay.notify(things, "thing-1", lease)
            await reader.wait_for([str(event.event_id)], deadline_s=30)
        await no_pending_within(things)

    assert claims == 0
    assert [r.event_id for r in reader.received] == [str(e.event_id) for e in events]
    assert await apply_events(reader.received) == (3, 0)
    thing = await db[things].find_one({"_id": "thing-1"})
    assert thing["changes"] == 3 and LEASE not in thing and LEASE_UNTIL not in thing


async def test_a_writer_that_dies_before_publishing_delays_its_events_only_until_its_lease_expires(
    db, bootstrap, reader, new_event, apply_events
):
    things = f"things_{suffix()}"
    clock = ManualClock(datetime.now(UTC))
    event = new_event("thing-1")
    writer = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)
    lease = writer.write_lease()  # the writer's process dies after the write, before publishing
    await db[things].insert_one({"_id": "thing-1"})
    await db[things].update_one({"_id": "thing-1"}, merge_updates(outbox_update(event, now=clock.now()), lease.update()))

    other = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)
    try:
        assert await other.run_once() == 0  # held by the writer's lease
        clock.advance(writer.write_lease_duration + timedelta(seconds=1))
        assert await other.run_once() == 1
    finally:
        await other.stop()

    await reader.wait_for([str(event.event_id)], deadline_s=30)
    await reader.read_to_end()
    assert [r.event_id for r in reader.received] == [str(event.event_id)]
    assert await apply_events(reader.received) == (1, 0)


async def test_a_relay_stopped_with_leased_writes_queued_lets_another_publish_them_at_once(db, bootstrap, reader, new_event):
    things = f"things_{suffix()}"
    clock = ManualClock(datetime.now(UTC))
    event = new_event("thing-1")
    writer = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)  # never started: nothing publishes
    lease = writer.write_lease()
    await db[things].insert_one({"_id": "thing-1"})
    await db[things].update_one({"_id": "thing-1"}, merge_updates(outbox_update(event, now=clock.now()), lease.update()))
    writer.notify(things, "thing-1", lease)
    await writer.stop()  # a graceful shutdown gives the lease up

    other = OutboxRelay(db, [things], bootstrap, clock=clock, lease_s=30)
    try:
        assert await other.run_once() == 1  # at once: the clock has not moved
    finally:
        await other.stop()
    await reader.wait_for([str(event.event_id)], deadline_s=30)
