"""Where a consumer stands in its partitions: offsets committed in batches, lag kept current.

Offsets are committed only after the handler and the record succeeded, and only the offsets of
such messages: `OffsetCommitter` commits them explicitly a batch at a time (every 200 messages or
0.2 s), because a commit per message costs a broker round trip and capped a consumer at about 140
messages a second. A crash loses at most the uncommitted tail, which is redelivered and skipped
as duplicates.

The lag gauge is set per message and also refreshed on a timer, so a consumer that is idle, or
stuck on an unreachable database while events pile up, still shows its true lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from .metrics import CONSUMER_LAG

log = structlog.get_logger(__name__)


def record_lag(consumer: AIOKafkaConsumer | None, record: ConsumerRecord, name: str) -> None:
    """Messages still behind this one in its partition, from the last fetch's high watermark."""
    if consumer is None:
        return
    highwater = consumer.highwater(TopicPartition(record.topic, record.partition))
    if highwater is not None:
        CONSUMER_LAG.labels(record.topic, str(record.partition), name).set(max(highwater - record.offset - 1, 0))


async def refresh_lag(consumer: AIOKafkaConsumer, name: str) -> None:
    """Sets the lag of every assigned partition: messages between the consumer's position and the
    partition's end, asked of the broker (the last fetch's high watermark is stale while the
    handler is busy: the consumer fetches no more until it takes the next message)."""
    assigned = list(consumer.assignment())
    if not assigned:
        return
    ends = await consumer.end_offsets(assigned)
    for tp in assigned:
        position = await consumer.position(tp)
        CONSUMER_LAG.labels(tp.topic, str(tp.partition), name).set(max(ends[tp] - position, 0))


class OffsetCommitter:
    """Commits, per partition, the offset after the last message whose effect is durable.

    Offsets are committed explicitly, never "the consumer's positions", so a commit can never
    cover a message still being handled. A commit is made when `max_pending` messages or
    `interval_s` have passed since the last one; a background task commits the tail of a burst
    once the consumer goes idle, and refreshes the lag every `lag_interval_s`.
    """

    def __init__(
        self, name: str, *, interval_s: float = 0.2, max_pending: int = 200, timeout_s: float = 10.0, lag_interval_s: float = 5.0
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.lag_interval_s = lag_interval_s
        self.max_pending = max_pending
        self.timeout_s = timeout_s
        self._durable: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._pending = 0
        self._last_commit = 0.0
        self._consumer: AIOKafkaConsumer | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def watch(self, consumer: AIOKafkaConsumer) -> None:
        """Keeps committing the tail of a burst and refreshing the lag while `consumer` is open.

        Called for every message as it arrives, so the upkeep starts with the first one.
        """
        self._consumer = consumer
        if self._upkeep is None or self._upkeep.done():
            self._upkeep = asyncio.create_task(self._upkeep_while_open(), name=f"{self.name}-offsets")

    async def done(self, consumer: AIOKafkaConsumer, record: ConsumerRecord) -> None:
        """`record`'s effect is durable: its offset may be committed."""
        self.watch(consumer)
        self._durable[TopicPartition(record.topic, record.partition)] = record.offset + 1
        self._pending += 1
        if self._pending >= self.max_pending or time.monotonic() - self._last_commit >= self.interval_s:
            await self.commit()

    async def done_all(self, consumer: AIOKafkaConsumer, records: Iterable[ConsumerRecord]) -> None:
        """The effects of all `records` (a batch, in partition order) are durable."""
        self.watch(consumer)
        for record in records:
            self._durable[TopicPartition(record.topic, record.partition)] = record.offset + 1
            self._pending += 1
        if self._pending >= self.max_pending or time.monotonic() - self._last_commit >= self.interval_s:
            await self.commit()

    async def commit(self) -> None:
        async with self._lock:
            offsets = {tp: offset for tp, offset in self._durable.items() if self._committed.get(tp) != offset}
            consumer = self._consumer
            if not offsets or consumer is None:
                return
            self._pending = 0
            self._last_commit = time.monotonic()
            try:
                async with asyncio.timeout(self.timeout_s):
                    await consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError) as error:
                # The partitions moved to another member: it gets these messages again and
                # skips them as duplicates.
                log.info("offset_commit_dropped", consumer=self.name, error=repr(error))
                self._durable = {tp: o for tp, o in self._durable.items() if tp not in offsets}
                return
            except (KafkaError, TimeoutError) as error:
                log.warning("offset_commit_failed", consumer=self.name, error=repr(error))
                return
            self._committed.update(offsets)

    async def _upkeep_while_open(self) -> None:
        last_lag = 0.0
        while self._consumer is not None and not getattr(self._consumer, "_closed", False):
            await asyncio.sleep(self.interval_s)
            with contextlib.suppress(Exception):
                await self.commit()
            if time.monotonic() - last_lag >= self.lag_interval_s:
                last_lag = time.monotonic()
                try:
                    await refresh_lag(self._consumer, self.name)
                except Exception as error:  # noqa: BLE001 - a gauge must not stop the consumer
                    log.info("consumer_lag_refresh_failed", consumer=self.name, error=repr(error))
