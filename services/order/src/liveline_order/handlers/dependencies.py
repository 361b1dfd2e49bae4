"""What every handler is given: the repositories, the payment provider, the clock and the settings
of placement and recovery (built in bootstrap.py), and the access rules they share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.clock import Clock, to_millis
from liveline_shared.outbox import WriteLease

from ..adapters.deals import DealsRepository
from ..adapters.merchants import MerchantsRepository
from ..adapters.orders import OrdersRepository
from ..adapters.payments import PaymentProvider
from ..adapters.purchases import PurchasesRepository
from ..domain.errors import Forbidden
from .paid_settlement import PaidSettlements


@dataclass
class Dependencies:
    merchants: MerchantsRepository
    deals: DealsRepository
    orders: OrdersRepository
    purchases: PurchasesRepository
    payments: PaymentProvider
    clock: Clock
    # Tells the outbox relay that an order has events to publish (relay.notify), with the lease
    # the write took (relay.write_lease; None without a relay, and the sweep publishes).
    notify: Callable[[str, Any, WriteLease | None], None] = lambda collection, document_id, lease=None: None
    write_lease: Callable[[], WriteLease | None] = lambda: None
    # How long a retried request waits for the first one with its Idempotency-Key to finish.
    replay_wait: timedelta = timedelta(seconds=10)
    # Unsettled orders untouched for this long are finished or compensated by the sweep; a
    # placement renews this lease on its order before each reservation.
    pending_timeout: timedelta = timedelta(seconds=5)
    # How long an order rejected as abandoned is swept again for late reservations (settlement.py).
    abandoned_grace: timedelta = timedelta(seconds=60)
    sweep_batch: int = 100
    # Orders being reserved and paid at once. Beyond a few dozen, a burst on one deal only queues
    # inside the database (every reservation updates the same document) until its calls time out;
    # waiting here instead keeps each database call short.
    placing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))
    # Paid orders' follow-up writes, grouped across the requests of this process.
    paid_settlements: PaidSettlements = field(default_factory=PaidSettlements)

    def now(self) -> datetime:
        # BSON keeps milliseconds; cutting here means what we answer is what we stored.
        return to_millis(self.clock.now())


def require_admin(caller: Caller | None) -> Caller:
    if caller is None or not caller.is_admin:
        raise Forbidden("only an admin may do this")
    return caller


def manages(caller: Caller | None, merchant_id: str) -> bool:
    return caller is not None and (caller.is_admin or caller.is_staff_of(merchant_id))
