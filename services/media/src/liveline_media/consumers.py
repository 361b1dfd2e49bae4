"""Kafka entrypoints of the media service: decode the contract, call one handler.

The API side learns from the order service's events who may upload for which order; the worker
side edits each uploaded video. Each is registered with `register_consumer` (idempotent, bounded
retries, dead letters) from bootstrap.py.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.consumer import RetryPolicy, register_consumer
from liveline_shared.events import Event, VideoUploaded
from liveline_shared.events.topics import ORDERS, VIDEOS

from . import handlers


ORDERS_CONSUMER = "media-orders"
EDITING_CONSUMER = "media-editing"


def register_orders(broker: KafkaBroker, db: AsyncDatabase, deps: handlers.Dependencies, *, group_prefix: str = "") -> None:
    async def on_order_event(event: Event) -> None:
        await handlers.record_order_event(event, deps)

    register_consumer(
        broker, name=group_prefix + ORDERS_CONSUMER, topic=ORDERS, db=db, handler=on_order_event,
        event_types={"OrderPlaced", "OrderRedeemed", "OrderRefunded"},
    )


def register_editing(
    broker: KafkaBroker, db: AsyncDatabase, deps: handlers.Dependencies, *, group_prefix: str = "", edit_timeout_s: float
) -> None:
    async def on_video_uploaded(event: Event) -> None:
        assert isinstance(event, VideoUploaded)
        await handlers.edit_uploaded_video(event, deps)

    register_consumer(
        broker, name=group_prefix + EDITING_CONSUMER, topic=VIDEOS, db=db, handler=on_video_uploaded,
        event_types={"VideoUploaded"}, handler_timeout_s=edit_timeout_s,
        # One more try than the edit allows: the last one ends the video as VideoRejected instead
        # of raising, so an edit that keeps failing is rejected, never dead-lettered.
        retry=RetryPolicy(attempts=deps.edit_attempts + 1, first_delay_s=1.0, max_delay_s=10.0),
    )
