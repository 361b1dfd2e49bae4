"""What the backbone's integration tests share: a database and a topic of their own, an event type
published on that topic, and a reader of the topic that also applies each event once (dedup by
event_id under a unique index), as a downstream consumer would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Literal

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import Field
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events.envelope import Event, type_field, version_field
from tests.random_refs import database_name, topic_name

TOPIC_PARTITIONS = 3


class ThingChanged(Event):
    """A test event; each test publishes it on a topic of its own (see `thing_changed`)."""

    key_field: ClassVar[str] = "thing_id"
    topic: ClassVar[str] = "unset"
    event_type: Literal["ThingChanged"] = type_field("ThingChanged")
    schema_version: Literal[1] = version_field(1)

    thing_id: str = Field(description="The aggregate.")
    change: int = Field(description="Which change of the aggregate this is.")


@dataclass(frozen=True)
class Received:
    event_id: str
    key: str
    body: bytes
    headers: dict[str, str]
    at: float = field(compare=False)


@pytest.fixture
async def db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    client = AsyncMongoClient(stack_endpoints.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True, retryWrites=False)
    yield client[database_name("backbone")]
    await client.close()


@pytest.fixture
def bootstrap(stack_endpoints) -> str:
    return stack_endpoints.kafka_bootstrap_servers


@pytest.fixture
async def topic(bootstrap) -> str:
    name = topic_name("outbox")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=TOPIC_PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    return name


@pytest.fixture
def thing_changed(topic) -> type[ThingChanged]:
    """ThingChanged, published on this test's topic."""
    return type("ThingChanged", (ThingChanged,), {"topic": topic})


def make_thing_changed(event_type: type[ThingChanged], thing_id: str, change: int) -> ThingChanged:
    return event_type(occurred_at=datetime.now(UTC), producer="test", thing_id=thing_id, change=change)


@pytest.fixture
def new_event(thing_changed):
    def new(thing_id: str, change: int = 0) -> ThingChanged:
        return make_thing_changed(thing_changed, thing_id, change)

    return new


class TopicReader:
    """Reads every partition of one topic from the start, without a consumer group."""

    def __init__(self, bootstrap: str, topic: str, partitions: int = TOPIC_PARTITIONS) -> None:
        self.topic = topic
        self._partitions = [TopicPartition(topic, number) for number in range(partitions)]
        self.received: list[Received] = []
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=5,
        )

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll(self) -> None:
        batches = await self._consumer.getmany(*self._partitions, timeout_ms=50)
        now = time.perf_counter()
        for messages in batches.values():
            for message in messages:
                headers = {name: value.decode() for name, value in message.headers}
                self.received.append(Received(headers["event_id"], message.key.decode(), message.value, headers, now))

    def ids(self) -> set[str]:
        return {r.event_id for r in self.received}

    async def wait_for(self, event_ids: Iterable[str], *, deadline_s: float) -> None:
        wanted = set(event_ids)
        deadline = time.monotonic() + deadline_s
        while not wanted <= self.ids():
            assert time.monotonic() < deadline, f"{len(wanted - self.ids())} of {len(wanted)} events never arrived"
            await self.poll()

    async def read_to_end(self, *, deadline_s: float = 30) -> None:
        """Reads everything published so far (call it once the publishers have stopped)."""
        end = await self._consumer.end_offsets(self._partitions)
        deadline = time.monotonic() + deadline_s
        while [tp for tp in self._partitions if await self._consumer.position(tp) < end[tp]]:
            assert time.monotonic() < deadline, "the topic was not read to its end in time"
            await self.poll()


@pytest.fixture
async def reader(bootstrap, topic) -> AsyncIterator[TopicReader]:
    topic_reader = TopicReader(bootstrap, topic)
    await topic_reader.start()
    yield topic_reader
    await topic_reader.stop()


async def apply_once(db: AsyncDatabase, received: Iterable[Received]) -> tuple[int, int]:
    """A downstream consumer: records each event_id under a unique index; (applied, duplicates skipped)."""
    applied_events = db["applied_events"]
    await applied_events.create_index("event_id", unique=True)
    applied = duplicates = 0
    for message in received:
        try:
            await applied_events.insert_one({"event_id": message.event_id})
            applied += 1
        except DuplicateKeyError:
            duplicates += 1
    return applied, duplicates


@pytest.fixture
def apply_events(db):
    async def apply(received: Iterable[Received]) -> tuple[int, int]:
        return await apply_once(db, received)

    return apply


async def wait_until_no_pending(db: AsyncDatabase, collection: str, *, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while await db[collection].count_documents({"_outbox_pending": {"$gt": 0}}):
        assert time.monotonic() < deadline, "events stayed pending"
        await asyncio.sleep(0.05)


@pytest.fixture
def no_pending_within(db):
    async def wait(collection: str, deadline_s: float = 30) -> None:
        await wait_until_no_pending(db, collection, deadline_s=deadline_s)

    return wait
