"""The notifications' own Kafka producer: a batch (every recipient of the moments due together,
or one notification) is handed to Kafka partition by partition, in order, and acknowledged
before the next batch takes its numbers, so Kafka holds each user's notifications in the order
of their sequence numbers. Messages arrive serialized (a moment's events are one template filled
per recipient): building 100,000 event objects one by one costs more than sending them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner


# Kafka takes one batch per partition at a time from an idempotent producer: large batches (well
# under the broker's 1 MiB message limit) make a fan-out a few round trips instead of hundreds.
BATCH_BYTES = 512 * 1024


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class NotificationPublisher:
    def __init__(self, bootstrap_servers: str, client_id: str, timeout_s: float) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        # The partition of a key as every Kafka client computes it (murmur2), so a user's
        # notifications share a partition with any other producer's keyed by the same user.
        self._partitioner = DefaultPartitioner()

    async def _connected(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers, client_id=self._client_id, enable_idempotence=True,
                    acks="all", request_timeout_ms=int(self._timeout_s * 1000), max_batch_size=BATCH_BYTES,
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def publish(self, topic: str, messages: Sequence[Message]) -> None:
        """Sends the messages (in order within each partition) and returns once Kafka
        acknowledged every one; raises if it did not."""
        producer = await self._connected()
        partitions = sorted(await producer.partitions_for(topic))
        by_partition: dict[int, list[Message]] = {}
        for message in messages:
            by_partition.setdefault(self._partitioner(message.key, partitions, partitions), []).append(message)
        acknowledgements = []
        for partition, queued in by_partition.items():
            batch = producer.create_batch()
            for message in queued:
                while batch.append(key=message.key, value=message.value, timestamp=None, headers=message.headers) is None:
                    acknowledgements.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
            acknowledgements.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*acknowledgements)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
