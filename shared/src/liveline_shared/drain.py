"""Graceful shutdown of a service's consumers: `drain_consumers` (called by the service shell
before the broker stops) makes every consumer registered on a broker stop taking messages,
waits a bounded time for what each has in hand, then commits every durable offset
(consumer.py says what a consumer commits of the batch in hand)."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from .offsets import OffsetCommitter

log = structlog.get_logger(__name__)


@dataclass(eq=False)
class Drain:
    """One consumer's part in a graceful shutdown: whether it still takes messages, the one it
    has in hand, and its committer."""

    name: str
    committer: OffsetCommitter
    stopping: bool = False
    in_flight: int = 0
    consumer: AIOKafkaConsumer | None = None
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()

    def took(self, consumer: AIOKafkaConsumer | None) -> None:
        self.consumer = consumer or self.consumer
        self.in_flight += 1
        self.idle.clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self.idle.set()

    def stop_taking(self) -> None:
        self.stopping = True
        if self.consumer is not None and not getattr(self.consumer, "_closed", True):
            # Fetches no more from its partitions; what it has not committed stays the group's.
            self.consumer.pause(*self.consumer.assignment())


_DRAINS: weakref.WeakKeyDictionary[KafkaBroker, list[Drain]] = weakref.WeakKeyDictionary()


async def drain_consumers(broker: KafkaBroker, *, timeout_s: float) -> bool:
    """Stops every consumer registered on `broker` from taking new messages, waits up to
    `timeout_s` for the messages in hand, then commits every durable offset. Call before
    `broker.stop()`. Returns False when a message was still in hand at the deadline: it stays
    uncommitted and is redelivered to another member of its group."""
    drains = _DRAINS.get(broker, [])
    for drain in drains:
        drain.stop_taking()
    finished = True
    try:
        async with asyncio.timeout(timeout_s):
            for drain in drains:
                await drain.idle.wait()
    except TimeoutError:
        finished = False
        log.warning("consumer_drain_timed_out", timeout_s=timeout_s,
                    consumers=[d.name for d in drains if d.in_flight], handed_back=True)
    for drain in drains:
        await drain.committer.commit()
    log.info("consumers_drained", consumers=[d.name for d in drains], finished=finished)
    return finished


def register_drain(broker: KafkaBroker, drain: Drain) -> None:
    _DRAINS.setdefault(broker, []).append(drain)
