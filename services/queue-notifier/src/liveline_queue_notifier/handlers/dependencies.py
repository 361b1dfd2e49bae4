"""What every handler is given (built in bootstrap.py) and the access rules they share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from liveline_shared.callers import Caller
from liveline_shared.clock import Clock, to_millis
from liveline_shared.outbox import WriteLease

from ..adapters.busyness import BusynessRepository
from ..adapters.inbox import InboxRepository
from ..adapters.publisher import Message
from ..adapters.queues import QueuesRepository
from ..adapters.schedules import SchedulesRepository
from ..adapters.zones import ZonesRepository

if TYPE_CHECKING:
    from .webpush import WebPush


class MerchantDirectory(Protocol):
    async def timezone(self, merchant_id: str) -> str | None: ...


class OrderDirectory(Protocol):
    async def order(self, order_id: str, caller: Caller) -> dict[str, Any] | None: ...


class Publisher(Protocol):
    async def publish(self, topic: str, messages: Sequence[Message]) -> None: ...


@dataclass
class Dependencies:
    queues: QueuesRepository
    busyness: BusynessRepository
    zones: ZonesRepository
    merchants: MerchantDirectory
    schedules: SchedulesRepository
    inbox: InboxRepository
    publisher: Publisher
    clock: Clock
    # The order service, asked for an order's status and quantity when its buyer joins a waitlist.
    orders: OrderDirectory | None = None
    # Tells the outbox relay that a queue or an order has events to publish (relay.notify), with
    # the lease the write took (relay.write_lease; None without a relay, and the sweep publishes).
    notify: Callable[[str, Any, WriteLease | None], None] = lambda collection, document_id, lease=None: None
    write_lease: Callable[[], WriteLease | None] = lambda: None
    # While parties wait, a QueueTick at least this often even without a change.
    heartbeat_every: timedelta = timedelta(seconds=60)
    # An external queue system's figures older than this are shown as stale.
    stale_after: timedelta = timedelta(minutes=10)
    # This instance's name on the due-moment buckets it leases, and how long a lease lasts.
    scheduler_id: str = "queue-notifier"
    bucket_lease: timedelta = timedelta(seconds=10)
    # A notification batch whose publisher has not finished it this long after it began is taken over.
    batch_lease: timedelta = timedelta(seconds=10)
    # This instance's notification batches take turns (handlers/inbox.py).
    publishing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # A push sent this long after its moment is marked late.
    late_after: timedelta = timedelta(seconds=5)
    # A user's last chosen slot ends, and this long after it without a redemption, it is missed.
    missed_grace: timedelta = timedelta(minutes=15)
    # Browsers' push subscriptions and the sender (handlers/webpush.py); set by bootstrap.py.
    web_push: WebPush | None = None

    def now(self) -> datetime:
        return to_millis(self.clock.now())


def runs_waitlist(caller: Caller | None, merchant_id: str) -> bool:
    return caller is not None and (caller.is_admin or caller.is_staff_of(merchant_id))
