"""Taking an order from pending to paid or rejected, the follow-up work of each status, and the
recovery sweep that finishes what a crashed or stalled request left half-way.

A placing request holds its pending order like a lease: the sweep leaves an order alone while
its `updated_at` is younger than `pending_timeout`, and the request renews it (a conditional
update that holds only while the order is pending) before each reservation. A request that
finds its lease lost stops there and follows the sweep's decision, giving back anything it
reserved after that decision. So that a request that reserved late and then died is undone
too, an order the sweep rejected as abandoned stays unsettled for a grace period, during which
each sweep gives back whatever it still holds (every give-back is conditional, so it happens once).
"""

from __future__ import annotations

import structlog

from liveline_shared.events import OrderPlaced

from ..adapters.orders import COLLECTION as ORDERS
from ..domain.deals import Deal
from ..domain.errors import (
    DealNotFound,
    DealNotOnSale,
    OrderAbandoned,
    OrderServiceError,
    PaymentFailed,
    PerUserLimitReached,
    SoldOut,
    rejection_reason,
)
from ..domain.orders import Order, Payment, Voucher
from ..domain.vouchers import new_voucher_code, qr_payload
from .dependencies import Dependencies
from .events import order_event

log = structlog.get_logger(__name__)

VOUCHER_CODE_ATTEMPTS = 5


class _Lease:
    """A placing request's hold on its pending order: when it last wrote the order's `updated_at`.

    The sweep leaves a pending order alone until `updated_at` is `pending_timeout` old, so while
    the last write is younger than a quarter of that, no sweep can have decided the order and a
    renewal (one more write) would say nothing new; past it, the request renews before each step.
    """

    def __init__(self, order: Order) -> None:
        self.written_at = order.updated_at

    async def held(self, order: Order, deps: Dependencies) -> bool:
        now = deps.now()
        if now - self.written_at < deps.pending_timeout / 4:
            return True
        if not await deps.orders.renew_pending(order.order_id, now):
            return False
        self.written_at = now
        return True


async def reserve_and_pay(order: Order, deal: Deal, deps: Dependencies) -> Order:
    lease = _Lease(order)
    if not await lease.held(order, deps):
        return await _follow_decision(order, deps)
    if not await deps.purchases.reserve(deal.deal_id, order.user_id, order.order_id, order.quantity, deal.per_user_limit):
        return await _reject(order, PerUserLimitReached(), deps)
    if not await lease.held(order, deps):
        return await _follow_decision(order, deps)
    if not await deps.deals.reserve_stock(deal, order.order_id, order.quantity, deps.now()):
        return await _reject(order, await _why_no_stock(deal.deal_id, deps), deps)
    if not await lease.held(order, deps):
        return await _follow_decision(order, deps)
    try:
        payment = await deps.payments.charge(order.order_id, order.amount)
    except PaymentFailed as error:
        return await _reject(order, error, deps)
    return await _pay(order, deal, payment, deps)


async def _why_no_stock(deal_id: str, deps: Dependencies) -> OrderServiceError:
    deal = await deps.deals.get(deal_id)
    if deal is None:
        return DealNotFound(deal_id)
    if not deal.is_on_sale_at(deps.now()):
        return DealNotOnSale()
    return SoldOut()


async def _pay(order: Order, deal: Deal, payment: Payment, deps: Dependencies) -> Order:
    voucher = await _new_voucher(order.order_id, deal, deps)
    now = deps.now()
    event = order_event(
        OrderPlaced, order, now,
        quantity=order.quantity,
        amount_minor=order.amount.amount_minor,
        currency=order.amount.currency,
        voucher_valid_from=voucher.valid_from,
        voucher_valid_until=voucher.valid_until,
    )
    lease = deps.write_lease()
    paid = await deps.orders.mark_paid(order.order_id, voucher, payment, event, now, lease)
    if paid is None:  # the recovery sweep decided first; follow what it decided
        return await _follow_decision(order, deps)
    deps.notify(ORDERS, paid.order_id, lease)
    log.info("order_paid", order_id=paid.order_id, deal_id=paid.deal_id, quantity=paid.quantity)
    return await settle_quietly(paid, deps)


async def _new_voucher(order_id: str, deal: Deal, deps: Dependencies) -> Voucher:
    for _ in range(VOUCHER_CODE_ATTEMPTS):
        code = new_voucher_code()
        if await deps.orders.claim_voucher_code(code, order_id):
            return Voucher(code, qr_payload(code), deal.voucher_valid_from, deal.voucher_valid_until)
    # 5 collisions in a row among 10^12 codes means something else is wrong.
    raise RuntimeError("could not find a free voucher code")


async def _reject(order: Order, error: OrderServiceError, deps: Dependencies, *, swept: bool = False) -> Order:
    # The sweep rejects only the order it read: a request that renewed its lease meanwhile wins.
    rejected = await deps.orders.mark_rejected(
        order.order_id, rejection_reason(error), deps.now(), if_updated_at=order.updated_at if swept else None
    )
    if rejected is None:
        return await _follow_decision(order, deps)
    log.info("order_rejected", order_id=order.order_id, deal_id=order.deal_id, reason=rejected.rejection_reason)
    return await settle_quietly(rejected, deps)


async def _follow_decision(order: Order, deps: Dependencies) -> Order:
    """Someone else (the sweep) moved the order first: follow it, and if it was rejected, give back
    what this request may have reserved after the rejection was settled."""
    current = await _reload(order, deps)
    if current.status == "rejected":
        try:
            await _give_back(current, deps)
        except Exception as error:  # noqa: BLE001 - the sweep gives it back during the grace period
            log.warning("late_reservation_not_given_back", order_id=order.order_id, error=str(error))
        log.warning("placement_lost_its_order", order_id=order.order_id, rejection_reason=current.rejection_reason)
        return current
    return await settle_quietly(current, deps)


async def _reload(order: Order, deps: Dependencies) -> Order:
    current = await deps.orders.get(order.order_id)
    assert current is not None  # orders are never deleted
    return current


async def settle_quietly(order: Order, deps: Dependencies) -> Order:
    """Settles now if it can; if the database fails here, the recovery sweep settles later."""
    try:
        await settle(order, deps)
    except Exception as error:  # noqa: BLE001 - the status change is done; the rest is recoverable
        log.warning("order_settle_deferred", order_id=order.order_id, status=order.status, error=str(error))
    return order


async def _give_back(order: Order, deps: Dependencies) -> None:
    """A rejected order's payment, stock and quota go back; each step is conditional, so once."""
    await deps.payments.refund(order.order_id)
    deal = await deps.deals.get(order.deal_id)
    if deal is not None:
        await deps.deals.release_hold(deal, order.order_id, order.quantity)
    await deps.purchases.release(order.deal_id, order.user_id, order.order_id, order.quantity)


async def settle(order: Order, deps: Dependencies) -> None:
    """Does the idempotent follow-up work of the order's status in other documents, then marks it settled."""
    if order.status == "pending" or order.settled:
        return
    if order.status == "paid":
        # Written together with the other orders paid at the same moment (paid_settlement.py).
        await deps.paid_settlements.settle(order, deps.deals, deps.orders)
        return
    if order.status == "redeemed":
        await deps.deals.settle_hold(order.deal_id, order.order_id)
    elif order.status == "rejected":
        await _give_back(order, deps)
        abandoned = order.rejection_reason == rejection_reason(OrderAbandoned())
        if abandoned and deps.now() - order.updated_at < deps.abandoned_grace:
            return  # swept again until the grace is over, in case the stalled request reserves late
    elif order.status == "refunded":
        await deps.payments.refund(order.order_id)
        deal = await deps.deals.get(order.deal_id)
        if deal is not None:
            # Forget the hold first (it may be unsettled still), so stock comes back exactly once.
            await deps.deals.settle_hold(order.deal_id, order.order_id)
            await deps.deals.return_refunded(deal, order.order_id, order.quantity)
        await deps.purchases.release(order.deal_id, order.user_id, order.order_id, order.quantity)
    await deps.orders.mark_settled(order.order_id, order.status)
    if order.status == "refunded":
        # Settled orders are never settled again, so the marker that kept the return single is done.
        await deps.deals.forget_return(order.deal_id, order.order_id)


async def recover_unsettled(deps: Dependencies) -> int:
    """The crash-recovery sweep: finishes or compensates orders left unsettled for too long.

    A pending order that holds both its quota and its stock is paid (charging is idempotent
    per order); one that holds less is rejected as abandoned and gives back what it holds.
    Any other unsettled order gets its follow-up work done. Returns the number of orders handled.
    """
    stale = await deps.orders.unsettled_before(deps.now() - deps.pending_timeout, deps.sweep_batch)
    for order in stale:
        try:
            await _recover(order, deps)
        except Exception as error:  # noqa: BLE001 - one order's failure must not stop the sweep
            log.warning("order_recovery_failed", order_id=order.order_id, error=str(error))
    return len(stale)


async def _recover(order: Order, deps: Dependencies) -> None:
    if order.status != "pending":
        await settle(order, deps)
        log.info("order_settled_by_sweep", order_id=order.order_id, status=order.status)
        return
    deal = await deps.deals.get(order.deal_id)
    holds_everything = (
        deal is not None
        and await deps.purchases.holds_quota_for(order.deal_id, order.user_id, order.order_id)
        and await deps.deals.holds_stock_for(order.deal_id, order.order_id)
    )
    if deal is not None and holds_everything:
        payment = await deps.payments.charge(order.order_id, order.amount)
        finished = await _pay(order, deal, payment, deps)
    else:
        finished = await _reject(order, OrderAbandoned(), deps, swept=True)
    log.warning("pending_order_recovered", order_id=order.order_id, status=finished.status)
