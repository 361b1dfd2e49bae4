"""A consumer's lag gauge tells the truth between messages: it grows while the consumer is stuck
and falls back to zero once it has caught up, without waiting for another message."""

from __future__ import annotations

import asyncio
import uuid

from prometheus_client import REGISTRY

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event
from shared.tests.integration.support import new_broker, new_topic, one_event_of_each_type, publish_event, running, wait_until
from tests.random_refs import group_name, suffix


def lag(topic: str, consumer: str) -> float:
    return REGISTRY.get_sample_value(
        "liveline_consumer_lag_messages", {"topic": topic, "partition": "0", "consumer": consumer}
    ) or 0.0


async def test_lag_grows_while_the_handler_is_stuck_and_returns_to_zero_when_idle(bootstrap, db):
    topic = await new_topic(bootstrap, "lag", partitions=1)
    consumer = group_name("lag")
    handling = asyncio.Event()
    release = asyncio.Event()
    handled: list[str] = []

    async def slow_first(event: Event) -> None:
        if not handled:
            handling.set()
            await release.wait()
        handled.append(str(event.event_id))

    broker = new_broker(bootstrap)
    register_consumer(broker, name=consumer, topic=topic, db=db, handler=slow_first, handler_timeout_s=120)
    placed = [e for e in one_event_of_each_type(f"ord-{suffix()}") if e.event_type == "OrderPlaced"][0]
    async with running(broker):
        await publish_event(bootstrap, topic.name, placed)
        await asyncio.wait_for(handling.wait(), 30)
        # Five more arrive while the handler is stuck on the first: no message is handled, yet
        # the gauge must show them.
        for _ in range(5):
            await publish_event(bootstrap, topic.name, placed.model_copy(update={"event_id": uuid.uuid4()}))

        async def five_behind() -> bool:
            return lag(topic.name, consumer) >= 5

        await wait_until(five_behind, deadline_s=30, what="the lag gauge to count the waiting events")
        release.set()

        async def caught_up() -> bool:
            return len(handled) == 6 and lag(topic.name, consumer) == 0

        await wait_until(caught_up, deadline_s=30, what="the lag gauge to fall to zero once idle")
