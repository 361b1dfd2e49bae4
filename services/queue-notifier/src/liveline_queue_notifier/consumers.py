"""Kafka entrypoints of the queue-notifier: decode the contract, call one handler.

* `queue-notifier-ticks` on liveline.queue-ticks.v1: every QueueTick feeds the busyness history;
  one published by an outside queue system becomes the merchant's live state; one of its own
  tells the buyers who joined from a push where they stand.
* `queue-notifier-slots` on liveline.slots.v1: SlotChosen subscribes the buyer to the chosen
  merchant slots; SlotOffered after a missed slot becomes the re-offer push.
* `queue-notifier` on liveline.orders.v1: OrderRedeemed and OrderRefunded stop the order's pushes
  (a redemption also sends the video prompt) and close its waitlist ticket (seated, cancelled).
* `queue-notifier-videos` on liveline.videos.v1: VideoEdited and VideoRejected tell the uploader.

Each is registered with `liveline_shared.consumer.register_consumer` (idempotent: a repeated
event changes nothing; see docs/architecture.md, "How a service consumes an event").
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.consumer import register_consumer
from liveline_shared.events import (
    Event, OrderRedeemed, OrderRefunded, QueueTick, SlotChosen, SlotOffered, VideoEdited, VideoRejected,
)
from liveline_shared.events.topics import ORDERS, QUEUE_TICKS, SLOTS, VIDEOS

from . import handlers

TICKS_CONSUMER = "queue-notifier-ticks"
SLOTS_CONSUMER = "queue-notifier-slots"
ORDERS_CONSUMER = "queue-notifier"
VIDEOS_CONSUMER = "queue-notifier-videos"


def register(broker: KafkaBroker, db: AsyncDatabase, deps: handlers.Dependencies, *, group_prefix: str = "") -> None:
    async def on_queue_tick(event: Event) -> None:
        assert isinstance(event, QueueTick)
        await handlers.record_external_tick(event, deps)
        await handlers.record_tick_history(event, deps)
        await handlers.tell_positions(event, deps)

    async def on_slot_event(event: Event) -> None:
        if isinstance(event, SlotChosen):
            await handlers.subscribe_choice(event, deps)
        elif isinstance(event, SlotOffered):
            await handlers.push_reoffer(event, deps)

    async def on_order_event(event: Event) -> None:
        assert isinstance(event, OrderRedeemed | OrderRefunded)
        await handlers.stop_pushes(event, deps)
        await handlers.close_ticket(event, deps)

    async def on_video_event(event: Event) -> None:
        assert isinstance(event, VideoEdited | VideoRejected)
        await handlers.push_video_outcome(event, deps)

    register_consumer(broker, name=group_prefix + TICKS_CONSUMER, topic=QUEUE_TICKS, db=db, handler=on_queue_tick,
                      event_types={"QueueTick"})
    register_consumer(broker, name=group_prefix + SLOTS_CONSUMER, topic=SLOTS, db=db, handler=on_slot_event,
                      event_types={"SlotChosen", "SlotOffered"})
    register_consumer(broker, name=group_prefix + ORDERS_CONSUMER, topic=ORDERS, db=db, handler=on_order_event,
                      event_types={"OrderRedeemed", "OrderRefunded"})
    register_consumer(broker, name=group_prefix + VIDEOS_CONSUMER, topic=VIDEOS, db=db, handler=on_video_event,
                      event_types={"VideoEdited", "VideoRejected"})
