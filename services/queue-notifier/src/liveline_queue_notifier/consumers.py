"""Kafka entrypoints of the queue-notifier: decode the contract, call one handler.

* `queue-notifier-ticks` on liveline.queue-ticks.v1: every QueueTick feeds the busyness history;
  one published by an outside queue system becomes the merchant's live state; one of its own
  tells the buyers who joined from a push where they stand.
* `queue-notifier-slots` on liveline.slots.v1: SlotChosen subscribes the buyer to the chosen
  merchant slots; SlotOffered after a missed slot becomes the re-offer push.
* `queue-notifier` on liveline.orders.v1: OrderRedeemed and OrderRefunded stop the order's pushes
  (a redemption also sends the video prompt) and close its waitlist ticket (seated, cancelled).
* `queue-notifier-videos` on liveline.videos.v1: VideoEdited and VideoRejected tell the uploader.
* `queue-notifier-webpush` on liveline.notifications.v1: each NotificationCreated is pushed to
  the user's subscribed browsers (Web Push). A push service that fails is retried a few times
  with backoff, then the event goes to the dead letters (replayable; browsers that had it are
  not pushed again), so one user's broken push service holds up the others only briefly.

Each is registered with `liveline_shared.consumer.register_consumer` (idempotent: a repeated
event changes nothing; see docs/architecture.md, "How a service consumes an event").
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.consumer import RetryPolicy, register_consumer
from liveline_shared.events import (
    Event, NotificationCreated, OrderRedeemed, OrderRefunded, QueueTick, SlotChosen, SlotOffered, VideoEdited,
    VideoRejected,
)
from liveline_shared.events.topics import NOTIFICATIONS, ORDERS, QUEUE_TICKS, SLOTS, VIDEOS

from . import handlers

TICKS_CONSUMER = "queue-notifier-ticks"
SLOTS_CONSUMER = "queue-notifier-slots"
ORDERS_CONSUMER = "queue-notifier"
VIDEOS_CONSUMER = "queue-notifier-videos"
WEBPUSH_CONSUMER = "queue-notifier-webpush"
# A push service's hiccup: three tries over about 1.5 s, each bounded by WEB_PUSH_TIMEOUT_S.
WEBPUSH_RETRY = RetryPolicy(attempts=3, first_delay_s=0.5, max_delay_s=2.0)


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

    async def on_notification(event: Event) -> None:
        assert isinstance(event, NotificationCreated)
        await handlers.push_notification(event, deps)

    register_consumer(broker, name=group_prefix + TICKS_CONSUMER, topic=QUEUE_TICKS, db=db, handler=on_queue_tick,
                      event_types={"QueueTick"})
    register_consumer(broker, name=group_prefix + SLOTS_CONSUMER, topic=SLOTS, db=db, handler=on_slot_event,
                      event_types={"SlotChosen", "SlotOffered"})
    register_consumer(broker, name=group_prefix + ORDERS_CONSUMER, topic=ORDERS, db=db, handler=on_order_event,
                      event_types={"OrderRedeemed", "OrderRefunded"})
    register_consumer(broker, name=group_prefix + VIDEOS_CONSUMER, topic=VIDEOS, db=db, handler=on_video_event,
                      event_types={"VideoEdited", "VideoRejected"})
    register_consumer(broker, name=group_prefix + WEBPUSH_CONSUMER, topic=NOTIFICATIONS, db=db, handler=on_notification,
                      event_types={"NotificationCreated"}, retry=WEBPUSH_RETRY)
