"""Orders: customers place them exactly once per Idempotency-Key; buyers, their merchant's staff
and admins read them. To anyone else an order does not exist."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from liveline_shared.backoff import Backoff
from liveline_shared.callers import Caller
from liveline_shared.log_context import current_correlation_id

from ..domain.errors import (
    REJECTIONS,
    DealNotFound,
    DealNotOnSale,
    Forbidden,
    IdempotencyKeyReused,
    OrderInProgress,
    OrderNotFound,
    OrderServiceError,
    PerUserLimitReached,
)
from ..domain.orders import Order, can_see, order_id_for, request_fingerprint
from .dependencies import Dependencies
from .settlement import reserve_and_pay

# How often a retry looks whether the first request with its key has finished.
REPLAY_POLL = Backoff(first_s=0.02, max_s=0.25)


@dataclass(frozen=True)
class PlaceOrder:
    idempotency_key: str
    deal_id: str
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    # True when this answers a retry of an earlier request with the same Idempotency-Key.
    replayed: bool


async def place_order(command: PlaceOrder, caller: Caller | None, deps: Dependencies) -> PlacedOrder:
    """Places (and pays) an order exactly once per (buyer, Idempotency-Key).

    The order document is the claim on the key: inserted "pending", with a fingerprint of the
    request, once the deal is known to sell. Then the buyer's quota and the deal's stock are
    reserved (each a conditional single-document update that also records this order's share),
    payment is taken, and one update makes the order "paid" with its voucher and OrderPlaced. A
    refusal marks the order "rejected" and gives back what was reserved. A retry finds the
    document (its insert meets the duplicate key) and answers what the first request answered.
    """
    if caller is None or caller.role != "customer":
        raise Forbidden("only customers place orders")
    order_id = order_id_for(caller.account_id, command.idempotency_key)
    fingerprint = request_fingerprint(command.deal_id, command.quantity)
    deal = await deps.deals.get(command.deal_id)
    now = deps.now()
    refusal: OrderServiceError | None = None
    if deal is None or not deal.is_public():
        refusal = DealNotFound(command.deal_id)
    elif not deal.is_on_sale_at(now):
        refusal = DealNotOnSale("this deal is not on sale now")
    elif command.quantity > deal.per_user_limit:
        refusal = PerUserLimitReached(f"at most {deal.per_user_limit} per buyer")
    if refusal is not None:
        # A retry answers what the first request answered, even if the deal has changed since;
        # only a request refused here looks for one (inserting the order below finds it otherwise).
        existing = await deps.orders.get(order_id)
        if existing is not None:
            return await _replay(existing, fingerprint, deps)
        raise refusal
    assert deal is not None

    order = Order(
        order_id=order_id,
        status="pending",
        user_id=caller.account_id,
        deal_id=deal.deal_id,
        merchant_id=deal.merchant_id,
        quantity=command.quantity,
        amount=deal.price.times(command.quantity),
        request_fingerprint=fingerprint,
        correlation_id=current_correlation_id(),
        created_at=now,
        updated_at=now,
        settled=False,
    )
    async with deps.placing:
        existing = await deps.orders.claim(order)
        if existing is not None:  # a concurrent request with the same key inserted it first
            return await _replay(existing, fingerprint, deps)
        final = await reserve_and_pay(order, deal, deps)
    _raise_if_rejected(final)
    return PlacedOrder(final, replayed=False)


async def _replay(existing: Order, fingerprint: str, deps: Dependencies) -> PlacedOrder:
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    order: Order | None = existing
    deadline = time.monotonic() + deps.replay_wait.total_seconds()
    polls = REPLAY_POLL.delays()
    while order is not None and order.status == "pending":
        if time.monotonic() >= deadline:
            raise OrderInProgress("the first request with this Idempotency-Key is still running; retry later")
        await asyncio.sleep(next(polls))
        order = await deps.orders.get(existing.order_id)
    assert order is not None  # orders are never deleted
    _raise_if_rejected(order)
    return PlacedOrder(order, replayed=True)


def _raise_if_rejected(order: Order) -> None:
    if order.status == "rejected":
        reason = order.rejection_reason or "abandoned"
        raise REJECTIONS.get(reason, OrderInProgress)(reason.replace("_", " "))


async def visible_order(order_id: str, caller: Caller, deps: Dependencies) -> Order:
    order = await deps.orders.get(order_id)
    if order is None or not can_see(order, caller):
        raise OrderNotFound(order_id)
    return order


async def get_order(order_id: str, caller: Caller, deps: Dependencies) -> Order:
    return await visible_order(order_id, caller, deps)


async def list_orders(
    caller: Caller, status: str | None, deal_id: str | None, limit: int, offset: int, deps: Dependencies
) -> list[Order]:
    """A customer's own orders, a merchant's orders for its staff, every order for admins."""
    user_id = merchant_id = None
    if caller.role == "customer":
        user_id = caller.account_id
    elif caller.role == "staff":
        if caller.merchant_id is None:
            raise Forbidden("staff without a merchant")
        merchant_id = caller.merchant_id
    return await deps.orders.page(
        user_id=user_id, merchant_id=merchant_id, status=status, deal_id=deal_id, limit=limit, offset=offset
    )
