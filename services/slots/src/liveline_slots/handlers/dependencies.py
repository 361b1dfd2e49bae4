"""What every handler is given (built in bootstrap.py) and the access rules they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from liveline_shared.callers import Caller
from liveline_shared.clock import Clock, to_millis
from liveline_shared.outbox import WriteLease

from ..adapters.capacity import CapacityRepository
from ..adapters.choices import ChoicesInProgress
from ..adapters.history import HistoryRepository
from ..adapters.offers import OffersRepository
from ..adapters.policies import PoliciesRepository


class MerchantDirectory(Protocol):
    async def timezone(self, merchant_id: str) -> str | None:
        """The merchant's IANA time zone; None for a merchant that does not exist."""
        ...


@dataclass
class Dependencies:
    policies: PoliciesRepository
    offers: OffersRepository
    capacity: CapacityRepository
    choices: ChoicesInProgress
    history: HistoryRepository
    merchants: MerchantDirectory
    clock: Clock
    # Tells the outbox relay that an order has events to publish (relay.notify), with the lease
    # the write took (relay.write_lease; None without a relay, and the sweep publishes).
    notify: Callable[[str, Any, WriteLease | None], None] = lambda collection, document_id, lease=None: None
    write_lease: Callable[[], WriteLease | None] = lambda: None
    # A choice in progress this old is taken to have died with its request (choices.py).
    stale_choice: timedelta = timedelta(seconds=30)

    def now(self) -> datetime:
        # BSON keeps milliseconds; cutting here means what we answer is what we stored.
        return to_millis(self.clock.now())


def manages(caller: Caller | None, merchant_id: str) -> bool:
    return caller is not None and (caller.is_admin or caller.is_staff_of(merchant_id))
