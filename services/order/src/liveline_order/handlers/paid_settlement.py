"""Settling paid orders together: the follow-up work of every order paid while a settlement was
being written goes into the next one.

A paid order's follow-up work is two writes: forget its stock hold in the deal and mark it
settled. When many buyers pay at once, every one of those writes queues behind the others on
the same deal document, so each request waits for two writes of its own. Here a request hands
its order over and waits; one writer takes everything handed over so far and writes it as one
update per deal and one update of the orders, then takes what arrived meanwhile. A lone
request waits for exactly its own two writes, as before; under load each waits for about one
round of a few. Both writes are idempotent, so a crash part-way only leaves orders unsettled
for the recovery sweep, which settles them one at a time as before.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..adapters.deals import DealsRepository
    from ..adapters.orders import OrdersRepository
    from ..domain.orders import Order


class PaidSettlements:
    """Group-writes the settlement of paid orders; one per service process (Dependencies holds it)."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Order, asyncio.Future[None]]] = []
        # The writer is a task of its own: a request cancelled while waiting must not take the
        # other requests' settlement with it.
        self._writer: asyncio.Task[None] | None = None

    async def settle(self, order: Order, deals: DealsRepository, orders: OrdersRepository) -> None:
        """Returns once the order's hold is forgotten and it is marked settled; raises what the write raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((order, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(deals, orders), name="paid-settlements")
        await done

    async def _write_all(self, deals: DealsRepository, orders: OrdersRepository) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await _settle_together([order for order, _ in batch], deals, orders)
            except Exception as error:  # noqa: BLE001 - each waiting request decides what a failure means
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


async def _settle_together(paid: list[Order], deals: DealsRepository, orders: OrdersRepository) -> None:
    by_deal: dict[str, list[str]] = defaultdict(list)
    for order in paid:
        by_deal[order.deal_id].append(order.order_id)
    for deal_id, order_ids in by_deal.items():
        await deals.settle_holds(deal_id, order_ids)
    await orders.mark_many_settled([order.order_id for order in paid], "paid")
