"""The notifications' own Kafka producer: a batch (every recipient of a moment, or one
notification) is sent back to back and acknowledged before the next batch takes its number, so
Kafka holds each user's notifications in the order of their sequence numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from liveline_shared.events import Event


class NotificationPublisher:
    def __init__(self, bootstrap_servers: str, client_id: str, timeout_s: float) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers, client_id=self._client_id, enable_idempotence=True,
                    acks="all", linger_ms=5, max_batch_size=256 * 1024, request_timeout_ms=int(self._timeout_s * 1000),
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def publish(self, events: Sequence[Event]) -> None:
        """Sends the events in order and returns once Kafka acknowledged every one (raises if not)."""
        producer = await self._connected()
        acknowledgements = []
        for event in events:
            headers = [(name, value.encode()) for name, value in event.headers().items()]
            acknowledgements.append(await producer.send(event.topic, event.to_bytes(), key=event.key.encode(), headers=headers))
        await asyncio.gather(*acknowledgements)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
