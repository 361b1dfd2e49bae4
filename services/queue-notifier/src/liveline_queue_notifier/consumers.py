"""Kafka entrypoints of the queue-notifier: decode the contract, call one handler.

* `queue-notifier-ticks` on liveline.queue-ticks.v1: every QueueTick feeds the busyness history;
  one published by an outside queue system becomes the merchant's live state.

Each is registered with `liveline_shared.consumer.register_consumer` (idempotent: a repeated
event changes nothing; see docs/architecture.md, "How a service consumes an event").
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event, QueueTick
from liveline_shared.events.topics import QUEUE_TICKS

from . import handlers

TICKS_CONSUMER = "queue-notifier-ticks"


def register(broker: KafkaBroker, db: AsyncDatabase, deps: handlers.Dependencies, *, group_prefix: str = "") -> None:
    async def on_queue_tick(event: Event) -> None:
        assert isinstance(event, QueueTick)
        await handlers.record_external_tick(event, deps)
        await handlers.record_tick_history(event, deps)

    register_consumer(broker, name=group_prefix + TICKS_CONSUMER, topic=QUEUE_TICKS, db=db, handler=on_queue_tick,
                      event_types={"QueueTick"})
