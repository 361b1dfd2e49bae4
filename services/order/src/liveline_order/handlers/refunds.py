"""Refunds: the buyer (or an admin) refunds a paid, unredeemed order; its stock and quota come back."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from liveline_shared.callers import Caller
from liveline_shared.events import OrderRefunded

from ..adapters.orders import COLLECTION as ORDERS
from ..domain.errors import Forbidden, OrderNotRefundable
from ..domain.orders import Order, can_refund
from .dependencies import Dependencies
from .events import order_event
from .orders import visible_order
from .settlement import settle_quietly

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RefundOrder:
    order_id: str


async def refund_order(command: RefundOrder, caller: Caller, deps: Dependencies) -> Order:
    order = await visible_order(command.order_id, caller, deps)
    if not can_refund(order, caller):
        raise Forbidden("only the buyer or an admin may refund an order")
    if order.status != "paid":
        raise OrderNotRefundable(f"a {order.status} order cannot be refunded")
    now = deps.now()
    event = order_event(OrderRefunded, order, now, quantity=order.quantity, refunded_by=caller.account_id)
    lease = deps.write_lease()
    refunded = await deps.orders.refund(order.order_id, caller.account_id, event, now, lease)
    if refunded is None:
        current = await deps.orders.get(order.order_id)
        raise OrderNotRefundable(f"a {current.status if current else 'missing'} order cannot be refunded")
    deps.notify(ORDERS, refunded.order_id, lease)
    log.info("order_refunded", order_id=refunded.order_id, refunded_by=caller.account_id)
    return await settle_quietly(refunded, deps)
