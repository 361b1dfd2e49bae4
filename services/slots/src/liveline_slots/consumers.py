"""Kafka entrypoints of the slots service: decode the contract, call one handler.

* `slots` on liveline.orders.v1: OrderPlaced builds the first offer; OrderRedeemed and
  OrderRefunded close the order's slots.
* `slots-missed` on liveline.slots.v1: SlotMissed builds a fresh offer.
* `slots-history` on liveline.queue-ticks.v1: QueueTick feeds the predicted waits.

Each is registered with `liveline_shared.consumer.register_consumer` (idempotent: a repeated
event changes nothing; see docs/architecture.md, "How a service consumes an event").
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event, OrderPlaced, OrderRedeemed, OrderRefunded, QueueTick, SlotMissed
from liveline_shared.events.topics import ORDERS, QUEUE_TICKS, SLOTS

from . import handlers

ORDERS_CONSUMER = "slots"
MISSED_CONSUMER = "slots-missed"
HISTORY_CONSUMER = "slots-history"


def register(broker: KafkaBroker, db: AsyncDatabase, deps: handlers.Dependencies, *, group_prefix: str = "") -> None:
    async def on_order_event(event: Event) -> None:
        if isinstance(event, OrderPlaced):
            await handlers.offer_after_purchase(event, deps)
        elif isinstance(event, OrderRedeemed | OrderRefunded):
            await handlers.close_order(event, deps)

    async def on_slot_missed(event: Event) -> None:
        assert isinstance(event, SlotMissed)
        await handlers.offer_again_after_missed_slot(event, deps)

    async def on_queue_tick(event: Event) -> None:
        assert isinstance(event, QueueTick)
        await handlers.record_queue_tick(event, deps)

    register_consumer(broker, name=group_prefix + ORDERS_CONSUMER, topic=ORDERS, db=db, handler=on_order_event,
                      event_types={"OrderPlaced", "OrderRedeemed", "OrderRefunded"})
    register_consumer(broker, name=group_prefix + MISSED_CONSUMER, topic=SLOTS, db=db, handler=on_slot_missed,
                      event_types={"SlotMissed"})
    register_consumer(broker, name=group_prefix + HISTORY_CONSUMER, topic=QUEUE_TICKS, db=db, handler=on_queue_tick,
                      event_types={"QueueTick"})
