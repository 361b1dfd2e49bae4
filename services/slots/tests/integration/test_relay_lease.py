"""The slots service's writes take the outbox relay's lease: the relay publishes what they carry
without claiming the order's document first (one database write fewer per event)."""

from __future__ import annotations

from liveline_shared.contracts.slots import Choose
from liveline_shared.events.topics import SLOTS
from liveline_shared.relay import OutboxRelay
from liveline_slots import handlers
from liveline_slots.adapters.offers import COLLECTION as ORDER_SLOTS

from services.slots.tests.integration.support import (
    customer,
    new_merchant,
    order_placed,
)
from tests.relay_watch import watch
from tests.topic_events import topic_events


async def test_an_offer_and_a_choice_reach_kafka_without_the_relay_claiming_the_order(
    deps, handlers_db, clock, order_client, stack_endpoints
):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    buyer = customer()
    placed = order_placed(await new_merchant(order_client), buyer, at=clock.now())
    async with OutboxRelay(handlers_db, [ORDER_SLOTS], bootstrap, clock=clock, poll_interval_s=0.2) as relay:
        deps.notify, deps.write_lease = relay.notify, relay.write_lease
        seen = watch(relay)
        await handlers.offer_after_purchase(placed, deps)
        # Only the slots service's own events: in the whole suite a running queue-notifier also
        # answers this (long past, by the manual clock) choice with SlotMissed on the same topic.
        [offered] = await topic_events(
            bootstrap, SLOTS.name, where={"order_id": placed.order_id, "event_type": "SlotOffered"}, expect=1
        )
        lunch = offered["slots"][0]["slot_id"]
        await handlers.choose(placed.order_id, Choose(offer_id=offered["offer_id"], slot_ids=[lunch]), buyer, deps)
        [chosen] = await topic_events(
            bootstrap, SLOTS.name, where={"order_id": placed.order_id, "event_type": "SlotChosen"}, expect=1
        )

    assert [slot["slot_id"] for slot in chosen["slots"]] == [lunch]
    assert placed.order_id in seen.read_held and placed.order_id not in seen.claimed
    document = await deps.offers.get_document(placed.order_id)
    assert document["_outbox_pending"] == 0 and "_outbox_lease" not in document
