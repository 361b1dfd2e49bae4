"""The queue-notifier's event-carrying writes take the outbox relay's lease: the relay publishes
a waitlist's QueueTick and an order's SlotMissed without claiming their document first (one
database write fewer per event)."""

from __future__ import annotations

from datetime import timedelta

from liveline_queue_notifier import handlers
from liveline_queue_notifier.adapters.queues import COLLECTION as LIVE_QUEUES
from liveline_queue_notifier.adapters.schedules import ORDERS as PUSH_ORDERS
from liveline_queue_notifier.handlers.waitlist import AddParty
from liveline_shared.events.topics import QUEUE_TICKS, SLOTS
from liveline_shared.relay import OutboxRelay

from tests.callers import customer, staff
from tests.queue_support import INTERNAL_TOKEN, slot_chosen, slot_window
from tests.random_refs import suffix
from tests.relay_watch import watch
from tests.service_tests import new_merchant
from tests.topic_events import topic_events


async def test_a_party_added_and_a_missed_slot_reach_kafka_without_the_relay_claiming_their_documents(
    deps, handlers_db, order_client, stack_endpoints
):
    bootstrap = stack_endpoints.kafka_bootstrap_servers
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    start = deps.now() + timedelta(minutes=5)
    choice = slot_chosen(merchant_id, customer(), slot_window(merchant_id, start, start + timedelta(minutes=2),
                                                              period=f"p{suffix()}"))
    relay = OutboxRelay(handlers_db, [LIVE_QUEUES, PUSH_ORDERS], bootstrap, clock=deps.clock, poll_interval_s=0.2)
    async with relay:
        deps.notify, deps.write_lease = relay.notify, relay.write_lease
        seen = watch(relay)
        await handlers.add_party(merchant_id, AddParty(size=2), staff(merchant_id), deps)
        [tick] = await topic_events(bootstrap, QUEUE_TICKS.name, where={"merchant_id": merchant_id}, expect=1)

        await handlers.subscribe_choice(choice, deps)
        deps.clock.set(start + timedelta(minutes=2) + deps.missed_grace + timedelta(seconds=1))
        for _ in range(50):  # the scheduler works what came due, the missed-slot check among it
            if not await handlers.run_due(deps):
                break
        [missed] = await topic_events(bootstrap, SLOTS.name, where={"order_id": choice.order_id}, expect=1)

    assert (tick["event_type"], tick["waiting_parties"], tick["waiting_people"]) == ("QueueTick", 1, 2)
    assert missed["event_type"] == "SlotMissed"
    assert seen.read_held >= {merchant_id, choice.order_id}
    assert not seen.claimed & {merchant_id, choice.order_id}
