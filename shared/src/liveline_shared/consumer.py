"""Idempotent event consumers: each event changes a consumer's state once, however often it arrives.

Kafka delivers at least once, so a consumer sees some events twice (after a crash, a rebalance
or a replay from the dead letters). The rule every handler follows:

* The consumer records each `event_id` it applied in `consumed_events` (`_id` =
  "<consumer>:<event_id>", unique by being the `_id`). A recorded event is skipped.
* The record is written after the handler, and the database has no multi-document
  transactions, so a crash between the two runs the handler again. The handler's effect must
  therefore be idempotent by itself:
  - an effect on ONE document goes through `apply_once`, which makes the change and remembers
    the event_id in that same document in one conditional update;
  - an effect that creates a document inserts it with an `_id` derived from the event_id
    (a DuplicateKeyError then means "already done");
  - anything else must be naturally idempotent (a `$set` to the same value).

Offsets are committed only after the handler and the record succeeded, and only the offsets of
such messages: `OffsetCommitter` commits them explicitly a batch at a time (every 200 messages or
0.2 s), because a commit per message costs a broker round trip and capped a consumer at about 140
messages a second. A crash loses at most the uncommitted tail, which is redelivered and skipped
as duplicates. An unreachable database or broker is not the message's fault: the offset is
not committed, nothing is dead-lettered, and the message comes back after a backoff. A message
that is not a valid event, or whose handler keeps raising after bounded retries, is published
to `<topic>.dlq` (see dead_letters.py) and then committed, so one bad message never blocks a
partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pymongo
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import DefaultSubscriber
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from . import dead_letters
from .clock import Clock, SystemClock
from .events.catalog import parse_event
from .events.envelope import Event
from .events.topics import Topic
from .log_context import bound_to_event
from .metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DUPLICATE, EVENTS_RETRIED

log = structlog.get_logger(__name__)

Handler = Callable[[Event], Awaitable[None]]

CONSUMED_EVENTS = "consumed_events"
APPLIED_FIELD = "_applied"
# How many event ids `apply_once` keeps per document. A redelivery comes back in partition order
# right after a crash, so a window this wide still holds the event being redelivered.
APPLIED_WINDOW = 100
# Test-only: when set to "1" the consumer stops (and waits to be killed) right after recording
# an event and before its offset is committed, to show that the redelivery changes nothing.
HOLD_BEFORE_ACK_ENV = "LIVELINE_TEST_HOLD_BEFORE_ACK"
# The consumer a replayed dead letter is meant for (set by `dead_letters replay --consumer`).
REPLAYED_FOR_HEADER = dead_letters.REPLAYED_FOR_HEADER


class HandlerFailed(Exception):
    """The handler raised on every attempt; `error` is the last exception."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(f"{type(error).__name__}: {error} (after {attempts} attempts)")
        self.error = error
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff between them."""

    attempts: int = 3
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delays(self) -> list[float]:
        """The pauses between consecutive attempts (one fewer than the attempts)."""
        return [min(self.first_delay_s * 2**n, self.max_delay_s) for n in range(self.attempts - 1)]


def is_infrastructure_error(error: BaseException) -> bool:
    """Errors of the database, the broker or the network: the message is fine, try it later."""
    if isinstance(error, ConnectionFailure | KafkaError | TimeoutError | ConnectionError):
        return True
    return isinstance(error, PyMongoError) and error.timeout


async def call_with_retries(
    call: Callable[[], Awaitable[None]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, Exception], None] = lambda attempt, error: None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> None:
    """Runs `call` up to `policy.attempts` times; raises HandlerFailed when every attempt raised.

    Infrastructure errors are not retried here: they propagate at once, so the message is
    redelivered later instead of being dead-lettered.
    """
    delays = policy.delays()
    for attempt in range(1, policy.attempts + 1):
        try:
            await call()
            return
        except Exception as error:
            if is_infrastructure_error(error):
                raise
            if attempt == policy.attempts:
                raise HandlerFailed(error, attempt) from error
            on_retry(attempt, error)
            await sleep(delays[attempt - 1])


def handles(event: Event, event_types: Collection[str]) -> bool:
    """Whether a consumer that lists `event_types` applies this event (empty: every type)."""
    return not event_types or event.event_type in event_types


def meant_for_another_consumer(headers: Mapping[str, str], consumer: str) -> bool:
    """A dead letter replayed for one consumer is skipped by the others, which applied it already."""
    target = headers.get(REPLAYED_FOR_HEADER)
    return bool(target) and target != consumer


def consumed_record_id(consumer: str, event_id: object) -> str:
    return f"{consumer}:{event_id}"


async def apply_once(
    collection: AsyncCollection,
    filter: Mapping[str, Any],
    update: Mapping[str, Any],
    event_id: object,
    *,
    upsert: bool = False,
    timeout_s: float = 5.0,
) -> bool:
    """Applies `update` to the document matching `filter` unless that document already applied
    `event_id`; the change and the remembered event_id are written in one document update.

    Returns True when the update was applied now, False when the document already carries the
    event_id or matched nothing (an extra condition in `filter` did not hold).
    """
    event_key = str(event_id)
    if APPLIED_FIELD in update.get("$push", {}) or APPLIED_FIELD in update.get("$addToSet", {}):
        raise ValueError(f"{APPLIED_FIELD} is managed by apply_once")
    guarded = {**filter, APPLIED_FIELD: {"$ne": event_key}}
    remembered = {**update, "$push": {**update.get("$push", {}), APPLIED_FIELD: event_key}}
    try:
        with pymongo.timeout(timeout_s):
            applied = await collection.find_one_and_update(
                guarded, remembered, upsert=upsert, return_document=ReturnDocument.AFTER
            )
    except DuplicateKeyError:
        # Upserting found no document without the event_id, tried to insert one, and the
        # document (with the event_id) was there: applied before.
        return False
    if applied is None:
        return False
    if len(applied.get(APPLIED_FIELD, ())) > APPLIED_WINDOW:
        await _forget_oldest_applied(collection, applied["_id"], timeout_s=timeout_s)
    return True


async def _forget_oldest_applied(collection: AsyncCollection, document_id: Any, *, timeout_s: float) -> None:
    # A second update, because `$push` with `$slice` is silently ignored by the embedded server
    # (FerretDB 1.x). Losing it in a crash only leaves the list one id longer until the next apply.
    with pymongo.timeout(timeout_s):
        await collection.update_one(
            {"_id": document_id, f"{APPLIED_FIELD}.{APPLIED_WINDOW}": {"$exists": True}},
            {"$pop": {APPLIED_FIELD: -1}},
        )


async def already_consumed(db: AsyncDatabase, consumer: str, event_id: object, *, timeout_s: float = 5.0) -> bool:
    with pymongo.timeout(timeout_s):
        found = await db[CONSUMED_EVENTS].find_one({"_id": consumed_record_id(consumer, event_id)}, {"_id": 1})
    return found is not None


async def record_consumed(
    db: AsyncDatabase, consumer: str, event: Event, record: ConsumerRecord, *, applied_at: datetime, timeout_s: float = 5.0
) -> bool:
    """Records that `consumer` applied `event`; False when it was recorded already."""
    document = {
        "_id": consumed_record_id(consumer, event.event_id),
        "consumer": consumer,
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "applied_at": applied_at,
    }
    try:
        with pymongo.timeout(timeout_s):
            await db[CONSUMED_EVENTS].insert_one(document)
    except DuplicateKeyError:
        return False
    return True


def record_lag(consumer: AIOKafkaConsumer | None, record: ConsumerRecord, name: str) -> None:
    """Messages still behind this one in its partition, from the last fetch's high watermark."""
    if consumer is None:
        return
    highwater = consumer.highwater(TopicPartition(record.topic, record.partition))
    if highwater is not None:
        CONSUMER_LAG.labels(record.topic, str(record.partition), name).set(max(highwater - record.offset - 1, 0))


async def _keep_bytes(message: StreamMessage[Any]) -> bytes:
    # The body is parsed by parse_event, which tells bad bytes from a bad contract; FastStream's
    # own JSON decoding would fail before the handler and the message could not be dead-lettered.
    return message.body


@dataclass
class _Backoff:
    """Pause before a failure is handed back for redelivery, so a redelivery loop does not spin."""

    policy: RetryPolicy
    failures: int = 0

    async def pause(self) -> None:
        delay = min(self.policy.first_delay_s * 2**self.failures, self.policy.max_delay_s)
        self.failures += 1
        await asyncio.sleep(delay)

    def reset(self) -> None:
        self.failures = 0


class OffsetCommitter:
    """Commits, per partition, the offset after the last message whose effect is durable.

    Offsets are committed explicitly, never "the consumer's positions", so a commit can never
    cover a message still being handled. A commit is made when `max_pending` messages or
    `interval_s` have passed since the last one; a background flush commits the tail of a burst
    once the consumer goes idle.
    """

    def __init__(self, name: str, *, interval_s: float = 0.2, max_pending: int = 200, timeout_s: float = 10.0) -> None:
        self.name = name
        self.interval_s = interval_s
        self.max_pending = max_pending
        self.timeout_s = timeout_s
        self._durable: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._pending = 0
        self._last_commit = 0.0
        self._consumer: AIOKafkaConsumer | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def done(self, consumer: AIOKafkaConsumer, record: ConsumerRecord) -> None:
        """`record`'s effect is durable: its offset may be committed."""
        self._consumer = consumer
        self._durable[TopicPartition(record.topic, record.partition)] = record.offset + 1
        self._pending += 1
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_while_open(), name=f"{self.name}-commits")
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

    async def _flush_while_open(self) -> None:
        while self._consumer is not None and not getattr(self._consumer, "_closed", False):
            await asyncio.sleep(self.interval_s)
            with contextlib.suppress(Exception):
                await self.commit()


def register_consumer(
    broker: KafkaBroker,
    *,
    name: str,
    topic: Topic,
    db: AsyncDatabase,
    handler: Handler,
    event_types: Collection[str] = (),
    retry: RetryPolicy = RetryPolicy(),
    dead_letter: bool = True,
    handler_timeout_s: float = 30.0,
    db_timeout_s: float = 5.0,
    publish_timeout_s: float = 10.0,
    clock: Clock = SystemClock(),
) -> DefaultSubscriber:
    """Declares the consumer group `name` on `topic` and wraps `handler`: parse, skip other types
    and duplicates, retry, record, then commit; dead-letter invalid or failing messages.

    Call before the broker starts. `event_types` lists the types the handler applies (empty:
    all); others on the topic are committed and skipped. With `dead_letter=False` a failing
    message is redelivered (and blocks its partition) instead of going to the dead letters.
    """
    subscriber = broker.subscriber(
        topic.name,
        group_id=name,
        # Commits are ours (OffsetCommitter); a failure seeks back so the message is redelivered.
        # Poison messages are dead-lettered inside, then count as done.
        ack_policy=AckPolicy.MANUAL,
        # A new consumer group starts from the oldest retained event, not from "now".
        auto_offset_reset="earliest",
        decoder=_keep_bytes,
        title=f"{name}:{topic.name}",
    )
    infrastructure_backoff = _Backoff(retry)
    committer = OffsetCommitter(name)
    wanted = frozenset(event_types)

    async def dead_letter_message(record: ConsumerRecord, reason: str, error: BaseException, attempts: int) -> None:
        if not dead_letter:
            raise error
        async with asyncio.timeout(publish_timeout_s):
            await dead_letters.publish_dead_letter(
                broker, record, dead_letter_topic=topic.dead_letters, consumer=name,
                reason=reason, error=error, attempts=attempts, failed_at=clock.now(),
            )

    async def apply(record: ConsumerRecord, headers: Mapping[str, str]) -> None:
        if meant_for_another_consumer(headers, name):
            return
        try:
            event = parse_event(record.value or b"")
        except ValueError as error:  # not JSON, not an object, unknown type, or fails the contract
            log.warning("event_invalid", consumer=name, topic=record.topic, offset=record.offset, error=str(error))
            await dead_letter_message(record, dead_letters.REASON_INVALID, error, attempts=1)
            return
        if not handles(event, wanted):
            return
        with bound_to_event(event):
            if await already_consumed(db, name, event.event_id, timeout_s=db_timeout_s):
                EVENTS_DUPLICATE.labels(record.topic, name).inc()
                log.info("event_duplicate", consumer=name)
                return

            async def attempt() -> None:
                async with asyncio.timeout(handler_timeout_s):
                    await handler(event)

            def retried(attempt_no: int, error: Exception) -> None:
                EVENTS_RETRIED.labels(record.topic, name).inc()
                log.warning("event_handler_retry", consumer=name, attempt=attempt_no, error=repr(error))

            try:
                await call_with_retries(attempt, retry, on_retry=retried)
            except HandlerFailed as failed:
                log.error("event_handler_failed", consumer=name, attempts=failed.attempts, error=repr(failed.error))
                await dead_letter_message(record, dead_letters.REASON_HANDLER_FAILED, failed.error, failed.attempts)
                return
            if await record_consumed(db, name, event, record, applied_at=clock.now(), timeout_s=db_timeout_s):
                EVENTS_CONSUMED.labels(record.topic, name).inc()
                log.info("event_consumed", consumer=name)
            else:
                EVENTS_DUPLICATE.labels(record.topic, name).inc()
            if os.environ.get(HOLD_BEFORE_ACK_ENV) == "1":
                log.warning("test_hold_before_ack", consumer=name)
                await asyncio.Event().wait()

    @subscriber
    async def consume(message: KafkaMessage) -> None:
        record: ConsumerRecord = message.raw_message  # type: ignore[assignment]
        record_lag(getattr(message, "consumer", None), record, name)
        try:
            await apply(record, message.headers)
        except Exception as error:
            # Not committed: the partition seeks back and the message comes again after a pause.
            log.warning("event_deferred", consumer=name, offset=record.offset, error=repr(error))
            await message.nack()
            await infrastructure_backoff.pause()
            return
        infrastructure_backoff.reset()
        await committer.done(message.consumer, record)  # type: ignore[arg-type]

    return subscriber
