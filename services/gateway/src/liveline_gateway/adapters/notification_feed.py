"""Every NotificationCreated as it reaches Kafka, handed to the streams open on this gateway
process for its recipient.

Each gateway process reads every partition of `liveline.notifications.v1` itself, with no
consumer group: every replica sees every notification, so a client's stream gets its pushes
whichever replica the load balancer sent it to. The feed starts at the end of the topic; what
was published before a stream opened, the stream reads from the queue-notifier's inbox.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from liveline_shared.backoff import Backoff
from liveline_shared.events import NotificationCreated, parse_event
from liveline_shared.events.topics import NOTIFICATIONS

log = structlog.get_logger(__name__)


class Subscription:
    """The notifications of one user for one open stream. A stream that does not keep up loses
    its place (`overflowed`) and reads what it missed from the inbox instead."""

    def __init__(self, user_id: str, size: int) -> None:
        self.user_id = user_id
        self.overflowed = False
        self._queue: asyncio.Queue[NotificationCreated] = asyncio.Queue(size)

    def offer(self, event: NotificationCreated) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    async def next(self) -> NotificationCreated:
        return await self._queue.get()

    def drain(self) -> None:
        """Forgets what is queued (the stream re-reads it from the inbox) and starts afresh."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self.overflowed = False


class NotificationFeed:
    def __init__(self, bootstrap_servers: str, client_id: str, queue_size: int = 256) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._queue_size = queue_size
        self._subscribers: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._positioned = asyncio.Event()

    @property
    def ready(self) -> bool:
        """Reading from the topic's end: a stream opened now misses nothing published from now on."""
        return self._positioned.is_set()

    @property
    def streams(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._subscribers.values())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notification-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_ready(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._positioned.wait(), timeout_s)
        return self.ready

    def subscribe(self, user_id: str) -> Subscription:
        """The user's notifications from now on, until `unsubscribe`."""
        subscription = Subscription(user_id, self._queue_size)
        self._subscribers.setdefault(user_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscriptions = self._subscribers.get(subscription.user_id, set())
        subscriptions.discard(subscription)
        if not subscriptions:
            self._subscribers.pop(subscription.user_id, None)

    async def _run(self) -> None:
        pauses = Backoff(first_s=0.2, max_s=5.0).delays()
        while True:
            consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap_servers, client_id=self._client_id,
                                        group_id=None, enable_auto_commit=False, auto_offset_reset="latest")
            try:
                await consumer.start()
                # Without a group, subscribing assigns every partition of the topic to this consumer.
                consumer.subscribe([NOTIFICATIONS.name])
                partitions = await _assigned(consumer)
                for partition in partitions:
                    await consumer.position(partition)  # resolves where "latest" is now
                self._positioned.set()
                log.info("notification_feed_positioned", partitions=len(partitions))
                pauses = Backoff(first_s=0.2, max_s=5.0).delays()
                await self._dispatch_forever(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - Kafka away: streams keep their heartbeats; retry
                # Positions are lost with the consumer: until the new one is at the end again,
                # new streams are refused rather than opened with a gap.
                self._positioned.clear()
                log.warning("notification_feed_failed", error=f"{type(error).__name__}: {error}")
                await asyncio.sleep(next(pauses))
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _dispatch_forever(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for records in batches.values():
                for record in records:
                    user_id = record.key.decode() if record.key else ""
                    subscriptions = self._subscribers.get(user_id)
                    if not subscriptions:
                        continue  # nobody streaming: not even parsed
                    try:
                        event = parse_event(record.value)
                    except ValueError as error:  # pydantic's ValidationError is one: a bad message is skipped
                        log.warning("notification_feed_bad_message", offset=record.offset, error=str(error)[:200])
                        continue
                    if isinstance(event, NotificationCreated):
                        for subscription in list(subscriptions):
                            subscription.offer(event)


async def _assigned(consumer: AIOKafkaConsumer) -> set[TopicPartition]:
    for _ in range(300):
        if assigned := consumer.assignment():
            return assigned
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no partition of {NOTIFICATIONS.name} assigned after 30 s")
