"""Idempotent event consumers: `register_consumer` wraps a service's handler so that each event
changes the consumer's state once, however often it arrives.

Messages come a batch at a time (what has arrived, up to `max_batch`). For a batch: parse the
contracts, skip other event types and the events already recorded (one read, idempotence.py),
apply the others with bounded retries (one event at a time, or all at once through a
`batch_handler` that writes their effects in bulk), record them (one insert), then hand the
offsets to the committer (offsets.py). An unreachable database or broker is not the message's
fault: the offset is not committed, nothing is dead-lettered, and the message comes back after
a backoff. A message that is not a valid event, or whose handler keeps raising after bounded
retries, is published to `<topic>.dlq` (see dead_letters.py) and then committed, so one bad
message never blocks a partition.

On shutdown, `drain.drain_consumers` (called by the service shell before the broker stops) makes every
consumer of a broker stop taking messages and waits a bounded time for the batch each has in
hand. A consumer applying events one at a time finishes the event in hand, stops there and
commits only the records before the first event it did not handle; a batch still in hand at the
deadline is not committed. Either way the group hands the rest to another member.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, PyMongoError

from . import dead_letters
from .backoff import Backoff, BackoffState
from .drain import Drain, register_drain
from .clock import Clock, SystemClock
from .events.catalog import parse_event
from .events.envelope import Event
from .events.topics import Topic
from .idempotence import consumed_among, record_all_consumed
from .log_context import bound_to_event, event_context
from .metrics import EVENTS_CONSUMED, EVENTS_DUPLICATE, EVENTS_RETRIED
from .offsets import OffsetCommitter, record_lag

log = structlog.get_logger(__name__)

Handler = Callable[[Event], Awaitable[None]]
# Applies a batch's new events, in order (their effects idempotent, like a Handler's).
BatchHandler = Callable[[Sequence[Event]], Awaitable[None]]
# Called after an event is applied and recorded, before its offset may be committed (the crash
# test halts a consumer there).
AfterRecord = Callable[[Event], Awaitable[None]]

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

    @property
    def backoff(self) -> Backoff:
        return Backoff(first_s=self.first_delay_s, max_s=self.max_delay_s)

    def delays(self) -> list[float]:
        """The pauses between consecutive attempts (one fewer than the attempts)."""
        return list(self.backoff.delays(self.attempts - 1))


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


async def _keep_bytes(message: StreamMessage[Any]) -> Any:
    # The bodies are parsed by parse_event, which tells bad bytes from a bad contract; FastStream's
    # own JSON decoding would fail before the handler and the message could not be dead-lettered.
    return message.body


def register_consumer(
    broker: KafkaBroker,
    *,
    name: str,
    topic: Topic,
    db: AsyncDatabase,
    handler: Handler | None = None,
    batch_handler: BatchHandler | None = None,
    event_types: Collection[str] = (),
    retry: RetryPolicy = RetryPolicy(),
    dead_letter: bool = True,
    handler_timeout_s: float = 30.0,
    db_timeout_s: float = 5.0,
    publish_timeout_s: float = 10.0,
    max_batch: int = 500,
    clock: Clock = SystemClock(),
    after_record: AfterRecord | None = None,
) -> BatchSubscriber:
    """Declares the consumer group `name` on `topic` and wraps the handler: parse, skip other
    types and duplicates, retry, record, then commit; dead-letter invalid or failing messages.

    Messages are taken up to `max_batch` at a time (whatever has arrived; a lone message is not
    held back). For a batch: one read finds the events recorded already, the handler applies
    the others in partition order, one insert records them, and their offsets go to the
    committer. `handler` applies one event at a time; a `batch_handler` is given the batch's
    new events at once (in order) so it can write their effects in bulk, and is called again
    with one event at a time only when the batch fails, to find the event to dead-letter.

    Call before the broker starts. `event_types` lists the types the handler applies (empty:
    all); others on the topic are committed and skipped. With `dead_letter=False` a failing
    message is redelivered (and blocks its partition) instead of going to the dead letters.
    """
    if (handler is None) == (batch_handler is None):
        raise ValueError("give exactly one of handler and batch_handler")
    subscriber = broker.subscriber(
        topic.name,
        group_id=name,
        batch=True,
        max_records=max_batch,
        # An idle consumer waits this long for messages, and as long again after an empty
        # answer (FastStream's pause): a message arriving then waits at most 2 × 50 ms.
        batch_timeout_ms=50,
        # Commits are ours (OffsetCommitter); a failure seeks back so the batch is redelivered.
        # Poison messages are dead-lettered inside, then count as done.
        ack_policy=AckPolicy.MANUAL,
        # A new consumer group starts from the oldest retained event, not from "now".
        auto_offset_reset="earliest",
        decoder=_keep_bytes,
        title=f"{name}:{topic.name}",
        description=f"Consumer group `{name}`: applies {', '.join(sorted(event_types)) or 'every event'}"
        f"{'; skips the other events of the topic' if event_types else ''}.",
    )
    infrastructure_backoff = BackoffState(retry.backoff)
    committer = OffsetCommitter(name)
    drain = Drain(name, committer)
    register_drain(broker, drain)
    wanted = frozenset(event_types)

    async def dead_letter_message(record: ConsumerRecord, reason: str, error: BaseException, attempts: int) -> None:
        if not dead_letter:
            raise error
        async with asyncio.timeout(publish_timeout_s):
            await dead_letters.publish_dead_letter(
                broker, record, dead_letter_topic=topic.dead_letters, consumer=name,
                reason=reason, error=error, attempts=attempts, failed_at=clock.now(),
            )

    def retried(attempt_no: int, error: Exception) -> None:
        EVENTS_RETRIED.labels(topic.name, name).inc()
        log.warning("event_handler_retry", consumer=name, attempt=attempt_no, error=repr(error))

    async def apply_one(event: Event, record: ConsumerRecord, apply: BatchHandler) -> bool:
        """Applies one event with bounded retries; False when it was dead-lettered instead."""

        async def attempt() -> None:
            async with asyncio.timeout(handler_timeout_s):
                await apply([event])

        with bound_to_event(event):
            try:
                await call_with_retries(attempt, retry, on_retry=retried)
            except HandlerFailed as failed:
                log.error("event_handler_failed", consumer=name, attempts=failed.attempts, error=repr(failed.error))
                await dead_letter_message(record, dead_letters.REASON_HANDLER_FAILED, failed.error, failed.attempts)
                return False
        return True

    async def apply_each(events: list[tuple[Event, ConsumerRecord]], apply: BatchHandler) -> list[tuple[Event, ConsumerRecord]]:
        applied: list[tuple[Event, ConsumerRecord]] = []
        for n, (event, record) in enumerate(events):
            if n and drain.stopping:
                break  # shutting down: the message in hand is finished, the rest stay the group's
            if await apply_one(event, record, apply):
                applied.append((event, record))
            tried.append(record)
        return applied

    async def apply_batch(events: list[tuple[Event, ConsumerRecord]]) -> list[tuple[Event, ConsumerRecord]]:
        """Applies the batch's new events; the ones applied (the rest were dead-lettered)."""
        if handler is not None:

            async def one_by_one(batch: Sequence[Event]) -> None:
                for event in batch:
                    await handler(event)

            return await apply_each(events, one_by_one)
        assert batch_handler is not None
        if len(events) == 1:
            return await apply_each(events, batch_handler)

        async def whole() -> None:
            async with asyncio.timeout(handler_timeout_s):
                await batch_handler([event for event, _ in events])

        try:
            await call_with_retries(whole, retry, on_retry=retried)
        except HandlerFailed as failed:
            # One event spoils the batch: find it by applying them one at a time (effects are
            # idempotent, so those applied before are not applied twice).
            log.warning("event_batch_failed", consumer=name, events=len(events), error=repr(failed.error))
            return await apply_each(events, batch_handler)
        return events

    # The records of the batch in hand that were handled (applied or dead-lettered), one batch at a time.
    tried: list[ConsumerRecord] = []

    async def consume_batch(records: Sequence[ConsumerRecord], headers: Sequence[Mapping[str, str]]) -> int:
        """Handles the batch; how many of its records (from the start) are done with: all of them
        unless a shutdown stopped it between two events."""
        tried.clear()
        candidates: list[tuple[Event, ConsumerRecord]] = []
        seen: set[str] = set()
        for record, record_headers in zip(records, headers, strict=True):
            if meant_for_another_consumer(record_headers, name):
                continue
            try:
                event = parse_event(record.value or b"")
            except ValueError as error:  # not JSON, not an object, unknown type, or fails the contract
                log.warning("event_invalid", consumer=name, topic=record.topic, offset=record.offset, error=str(error))
                await dead_letter_message(record, dead_letters.REASON_INVALID, error, attempts=1)
                continue
            if not handles(event, wanted):
                continue
            if str(event.event_id) in seen:  # the same event twice in one batch (a relay's repeat)
                EVENTS_DUPLICATE.labels(record.topic, name).inc()
                continue
            seen.add(str(event.event_id))
            candidates.append((event, record))
        recorded = await consumed_among(db, name, seen, timeout_s=db_timeout_s)
        new: list[tuple[Event, ConsumerRecord]] = []
        for event, record in candidates:
            if str(event.event_id) in recorded:
                EVENTS_DUPLICATE.labels(record.topic, name).inc()
                log.info("event_duplicate", consumer=name, **event_context(event))
            else:
                new.append((event, record))
        applied = await apply_batch(new)
        now_recorded = await record_all_consumed(db, name, [event for event, _ in applied], applied_at=clock.now(), timeout_s=db_timeout_s)
        for event, record in applied:
            if str(event.event_id) in now_recorded:
                EVENTS_CONSUMED.labels(record.topic, name).inc()
                # The same fields bound_to_event would add, without binding and unbinding them
                # for one line (a fifth of a busy consumer's time went to these lines).
                log.info("event_consumed", consumer=name, **event_context(event))
            else:
                EVENTS_DUPLICATE.labels(record.topic, name).inc()
        if after_record is not None:
            for event, _ in applied:
                await after_record(event)
        handled = {id(record) for record in tried}
        untried = [record for _, record in new if id(record) not in handled] if handler is not None else []
        return records.index(untried[0]) if untried else len(records)

    @subscriber
    async def consume(message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord, ...] = message.raw_message  # type: ignore[assignment]
        if not records:
            return
        consumer = getattr(message, "consumer", None)
        if drain.stopping:
            # Shutting down: not taken, not committed; another member of the group gets them.
            await message.nack()
            return
        if consumer is not None:
            committer.watch(consumer)
        for record in _last_of_each_partition(records):
            record_lag(consumer, record, name)
        drain.took(consumer)
        try:
            try:
                done = await consume_batch(records, message.batch_headers or [{} for _ in records])
            except Exception as error:
                # Not committed: each partition seeks back to the batch's first message, which
                # comes again after a pause (what was applied and recorded is skipped then).
                log.warning("event_deferred", consumer=name, offset=records[0].offset, messages=len(records), error=repr(error))
                await message.nack()
                if not drain.stopping:
                    await infrastructure_backoff.pause()
                return
            infrastructure_backoff.succeeded()
            # All of it, or (shutting down) the records before the first event not handled: the
            # group hands the rest to another member.
            await committer.done_all(message.consumer, records[:done])  # type: ignore[arg-type]
        finally:
            drain.finished()

    return subscriber


def _last_of_each_partition(records: Sequence[ConsumerRecord]) -> list[ConsumerRecord]:
    last: dict[tuple[str, int], ConsumerRecord] = {}
    for record in records:
        last[(record.topic, record.partition)] = record
    return list(last.values())
