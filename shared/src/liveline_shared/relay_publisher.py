"""The outbox relay's Kafka side (relay.py): its idempotent producer, sending a batch of leased
documents' events, and waiting for Kafka's acknowledgements while the leases are kept alive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from .clock import Clock
from .metrics import EVENTS_PUBLISHED, OUTBOX_PUBLISH_DELAY
from .outbox import PendingEvent


class PublishFailed(Exception):
    pass


@dataclass(frozen=True)
class LeasedDocument:
    """A document whose lease the relay holds (claimed, or handed over by its writer), with its pending events."""

    document_id: Any
    lease_token: str
    events: list[PendingEvent]


# Extends one document's lease while its events wait for Kafka: (collection, document).
RenewLease = Callable[[str, LeasedDocument], Awaitable[None]]


class RelayPublisher:
    """Sends the events of leased documents with one idempotent producer (`acks=all`), each
    document's in `seq` order, and tells which were acknowledged."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        clock: Clock,
        publish_timeout_s: float,
        renew_every_s: float,
        log: Any,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.clock = clock
        self.publish_timeout_s = publish_timeout_s
        self.renew_every_s = renew_every_s
        self._log = log
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()

    async def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), self.publish_timeout_s)
            self._producer = None

    async def publish(
        self, batch: Sequence[LeasedDocument], collection: str, renew: RenewLease
    ) -> tuple[list[list[PendingEvent]], str | None]:
        """Sends every document's events, each document's in order; for each document, the leading
        events Kafka acknowledged, and what went wrong if not all.

        Only handing a message to the producer has a deadline. Once handed over, the producer
        retries it until Kafka takes it, and cancelling the wait would not take it back: a retry
        of ours would then publish a second copy for every attempt during an outage. So the
        relay waits for those acknowledgements, renewing its leases meanwhile.
        """
        error: str | None = None
        sent: list[list[asyncio.Future[Any]]] = [[] for _ in batch]
        try:
            producer = await self._connected_producer()
            for leased, futures in zip(batch, sent, strict=True):
                for event in leased.events:
                    # Cancelling send() itself (unlike its returned future) does withdraw the message.
                    async with asyncio.timeout(self.publish_timeout_s):
                        futures.append(
                            await producer.send(
                                event.topic, event.body.encode(), key=event.key.encode(), headers=event.kafka_headers()
                            )
                        )
        except Exception as failure:  # noqa: BLE001 - any Kafka failure means "not published, retry later"
            error = describe(failure)
        results = iter(await self._wait_holding_leases(
            asyncio.gather(*(future for futures in sent for future in futures), return_exceptions=True),
            collection, batch, renew,
        ))
        acknowledged: list[list[PendingEvent]] = []
        for leased, futures in zip(batch, sent, strict=True):
            outcomes = [next(results) for _ in futures]
            leading: list[PendingEvent] = []
            for event, outcome in zip(leased.events, outcomes, strict=False):
                if isinstance(outcome, BaseException):
                    error = describe(outcome)
                    break
                leading.append(event)
            acknowledged.append(leading)
        self._count(event for events in acknowledged for event in events)
        return acknowledged, error

    def _count(self, acknowledged: Iterable[PendingEvent]) -> None:
        acknowledged_at = self.clock.now()
        log_each = self._log.is_enabled_for(logging.DEBUG)
        for event in acknowledged:
            EVENTS_PUBLISHED.labels(event.topic).inc()
            OUTBOX_PUBLISH_DELAY.labels(event.topic).observe(max(0.0, (acknowledged_at - event.created_at).total_seconds()))
            if log_each:  # binding the event's ids costs more than the line when it is dropped
                with structlog.contextvars.bound_contextvars(**event.log_context()):
                    self._log.debug("outbox_event_published", topic=event.topic, key=event.key)

    async def _wait_holding_leases(
        self, acknowledgements: Awaitable[list[Any]], collection: str, batch: Sequence[LeasedDocument], renew: RenewLease
    ) -> list[Any]:
        waiting = asyncio.ensure_future(acknowledgements)
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=self.renew_every_s)
            if done:
                return waiting.result()
            self._log.warning(
                "outbox_waiting_for_kafka", collection=collection, documents=[str(leased.document_id) for leased in batch],
                waited_s=round(time.monotonic() - started, 1),
            )
            for leased in batch:
                await renew(collection, leased)

    async def _connected_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=self.client_id,
                    enable_idempotence=True,
                    acks="all",
                    request_timeout_ms=int(self.publish_timeout_s * 1000),
                )
                try:
                    async with asyncio.timeout(self.publish_timeout_s):
                        await producer.start()
                except Exception as error:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise PublishFailed(f"cannot connect to Kafka: {describe(error)}") from error
                self._producer = producer
            return self._producer


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
