"""What the consumer and dead-letter tests share: unique topics, raw Kafka reads and writes, a
running broker, sample events of every contract, and waits with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker

from liveline_shared.events import (
    Event,
    NotificationCreated,
    OrderPlaced,
    OrderRedeemed,
    OrderRefunded,
    QueueTick,
    SlotChosen,
    SlotMissed,
    SlotOffered,
    SlotWindow,
    VideoEdited,
    VideoRejected,
    VideoUploaded,
)
from liveline_shared.events.topics import DAY_MS, Topic
from liveline_shared.kafka import ensure_topics, make_broker
from liveline_shared.settings import ServiceSettings
from tests.random_refs import suffix, topic_name

NOW = datetime(2015, 3, 24, 9, 30, tzinfo=UTC)


async def new_topic(bootstrap: str, what: str = "events", partitions: int = 1) -> Topic:
    """A topic of this test's own, created with its dead-letter topic (auto-create is off)."""
    topic = Topic(name=topic_name(what), key="order_id", producer="test", retention_ms=DAY_MS, description="test")
    await ensure_topics(bootstrap, partitions=partitions, topics=(topic,))
    return topic


def new_broker(bootstrap: str) -> KafkaBroker:
    return make_broker(ServiceSettings(kafka_bootstrap_servers=bootstrap, environment="test"), f"test-{suffix()}")


@contextlib.asynccontextmanager
async def running(broker: KafkaBroker) -> AsyncIterator[KafkaBroker]:
    async with asyncio.timeout(60):
        await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


async def publish_raw(
    bootstrap: str, topic: str, value: bytes, *, key: bytes | None = None, headers: list[tuple[str, bytes]] | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", request_timeout_ms=10_000)
    async with asyncio.timeout(30):
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key, headers=headers or [])
        finally:
            await producer.stop()


async def publish_event(bootstrap: str, topic: str, event: Event) -> None:
    headers = [(name, value.encode()) for name, value in event.headers().items()]
    await publish_raw(bootstrap, topic, event.to_bytes(), key=event.key.encode(), headers=headers)


async def read_topic(bootstrap: str, topic: str, *, expect: int, deadline_s: float = 30) -> list[ConsumerRecord]:
    """Every message of `topic` from the start, without a consumer group, once `expect` are there."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=10_000)
    await reader.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (await _partitions(reader, topic))]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + deadline_s
        while len(records) < expect:
            assert time.monotonic() < deadline, f"{topic}: {len(records)} of {expect} messages after {deadline_s}s"
            for batch in (await reader.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records
    finally:
        await reader.stop()


async def _partitions(reader: AIOKafkaConsumer, topic: str) -> set[int]:
    deadline = time.monotonic() + 10
    while not (found := reader.partitions_for_topic(topic)):
        assert time.monotonic() < deadline, f"no metadata for {topic}"
        await reader._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
    return found


async def committed_offset(bootstrap: str, topic: str, group: str, partition: int = 0) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return await reader.committed(TopicPartition(topic, partition))
    finally:
        await reader.stop()


async def wait_until(check: Callable[[], Awaitable[bool]], *, deadline_s: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + deadline_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out after {deadline_s}s waiting for {what}"
        await asyncio.sleep(0.1)


def header(record: ConsumerRecord, name: str) -> str | None:
    return next((value.decode() for key, value in record.headers if key == name), None)


def slot(day: int = 24) -> SlotWindow:
    start = datetime(2015, 3, day, 10, 0, tzinfo=UTC)
    return SlotWindow(
        slot_id=f"m-1:2015-03-{day}:dinner", meal_period="dinner", local_date=f"2015-03-{day}",
        starts_at=start, ends_at=start + timedelta(hours=3),
    )


def one_event_of_each_type(order_id: str) -> list[Event]:
    common = dict(occurred_at=NOW, correlation_id=f"flow-{order_id}")
    ids = dict(order_id=order_id, merchant_id="m-1")
    return [
        OrderPlaced(**common, **ids, producer="order", deal_id="deal-1", user_id="u-1", quantity=2,
                    amount_minor=19800, currency="CNY", voucher_valid_from=NOW, voucher_valid_until=NOW + timedelta(days=90)),
        OrderRedeemed(**common, **ids, producer="order", deal_id="deal-1", user_id="u-1", redeemed_by="staff-1"),
        OrderRefunded(**common, **ids, producer="order", deal_id="deal-1", user_id="u-1", quantity=1, refunded_by="u-1"),
        SlotOffered(**common, **ids, producer="slots", offer_id="offer-1", user_id="u-1", reason="purchase",
                    slots=(slot(24), slot(25))),
        SlotChosen(**common, **ids, producer="slots", offer_id="offer-1", user_id="u-1", slots=(slot(24),)),
        SlotMissed(**common, **ids, producer="slots", user_id="u-1", slot=slot(24)),
        QueueTick(**common, producer="queue-notifier", merchant_id="m-1", waiting_parties=3, waiting_people=9,
                  estimated_wait_minutes=25),
        NotificationCreated(**common, **ids, producer="queue-notifier", notification_id=f"n-{order_id}", user_id="u-1",
                            kind="queue_update", slot_id=slot().slot_id, waiting_parties=3, queue_as_of=NOW),
        VideoUploaded(**common, **ids, producer="media", video_id=f"v-{order_id}", user_id="u-1", deal_id="deal-1",
                      object_key=f"raw/v-{order_id}", size_bytes=1024, content_type="video/mp4", visited_at=NOW),
        VideoEdited(**common, **ids, producer="media", video_id=f"v-{order_id}", user_id="u-1", deal_id="deal-1",
                    object_key=f"edited/v-{order_id}", poster_key=f"posters/v-{order_id}", duration_s=12.5,
                    size_bytes=4096, width=720, height=1280),
        VideoRejected(**common, **ids, producer="media", video_id=f"v-{order_id}", user_id="u-1", reason="too_long",
                      detail="over 10 min"),
    ]
