"""The integration events of an order, built in one place: who produced them, when, for which order."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from liveline_shared.events import OrderPlaced, OrderRedeemed, OrderRefunded
from liveline_shared.log_context import current_correlation_id

from ..domain.orders import Order

PRODUCER = "order"

OrderEvent = TypeVar("OrderEvent", OrderPlaced, OrderRedeemed, OrderRefunded)


def order_event(event_type: type[OrderEvent], order: Order, now: datetime, **fields: Any) -> OrderEvent:
    """An event about `order`, carrying the correlation id of the request that caused it (the
    order's own for OrderPlaced, which the recovery sweep may publish long after the request)."""
    correlation_id = order.correlation_id if event_type is OrderPlaced else current_correlation_id()
    return event_type(
        occurred_at=now,
        producer=PRODUCER,
        correlation_id=correlation_id or "",
        order_id=order.order_id,
        deal_id=order.deal_id,
        merchant_id=order.merchant_id,
        user_id=order.user_id,
        **fields,
    )
