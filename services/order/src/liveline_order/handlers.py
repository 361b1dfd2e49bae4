"""The order service's use cases: one async function per command, each given the `OrderService`
it works with and the caller the gateway named. Every object-level decision is made here."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from liveline_shared.callers import Caller
from liveline_shared.clock import Clock
from liveline_shared.events import OrderPlaced, OrderRedeemed, OrderRefunded
from liveline_shared.log_context import current_correlation_id

from .adapters.deals import DealsRepository
from .adapters.merchants import MerchantsRepository
from .adapters.orders import COLLECTION as ORDERS
from .adapters.orders import OrdersRepository
from .adapters.payments import PaymentProvider
from .adapters.purchases import PurchasesRepository
from .domain import deals as deal_rules
from .domain.deals import Deal
from .domain.errors import (
    REJECTIONS,
    DealChangedConcurrently,
    DealNotFound,
    DealNotOnSale,
    Forbidden,
    IdempotencyKeyReused,
    MerchantNotFound,
    OrderAbandoned,
    OrderInProgress,
    OrderNotFound,
    OrderNotRefundable,
    OrderServiceError,
    PaymentFailed,
    PerUserLimitReached,
    SoldOut,
    VoucherNotFound,
    VoucherOfAnotherMerchant,
    rejection_reason,
)
from .domain.merchants import Merchant, check_timezone, normalize_contact
from .domain.money import Money
from .domain.orders import (
    Order,
    Payment,
    Voucher,
    can_refund,
    can_see,
    order_id_for,
    request_fingerprint,
    why_not_redeemable,
)
from .domain.vouchers import new_voucher_code, normalize_code, qr_payload

log = structlog.get_logger(__name__)

PRODUCER = "order"
VOUCHER_CODE_ATTEMPTS = 5


@dataclass
class OrderService:
    """Everything the handlers need; built in bootstrap.py."""

    merchants: MerchantsRepository
    deals: DealsRepository
    orders: OrdersRepository
    purchases: PurchasesRepository
    payments: PaymentProvider
    clock: Clock
    # Tells the outbox relay that an order has events to publish (relay.notify).
    notify: Callable[[str, Any], None] = lambda collection, document_id: None
    # How long a retried request waits for the first one with its Idempotency-Key to finish.
    replay_wait: timedelta = timedelta(seconds=10)
    # Unsettled orders untouched for this long are finished or compensated by the sweep.
    pending_timeout: timedelta = timedelta(seconds=5)
    sweep_batch: int = 100
    # Orders being reserved and paid at once. Beyond a few dozen, a burst on one deal only queues
    # inside the database (every reservation updates the same document) until its calls time out;
    # waiting here instead keeps each database call short.
    placing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))

    def now(self) -> datetime:
        # BSON keeps milliseconds; cutting here means what we answer is what we stored.
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_ms(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _require_admin(caller: Caller | None) -> Caller:
    if caller is None or not caller.is_admin:
        raise Forbidden("only an admin may do this")
    return caller


def _manages(caller: Caller | None, merchant_id: str) -> bool:
    return caller is not None and (caller.is_admin or caller.is_staff_of(merchant_id))


# Merchants


@dataclass(frozen=True)
class CreateMerchant:
    name: str
    address: str
    timezone: str
    contact: str


async def create_merchant(command: CreateMerchant, caller: Caller | None, service: OrderService) -> Merchant:
    _require_admin(caller)
    merchant = Merchant(
        merchant_id=uuid.uuid4().hex,
        name=command.name.strip(),
        address=command.address.strip(),
        timezone=check_timezone(command.timezone),
        contact=normalize_contact(command.contact),
        created_at=service.now(),
    )
    await service.merchants.add(merchant)
    return merchant


async def get_merchant(merchant_id: str, service: OrderService) -> Merchant:
    merchant = await service.merchants.get(merchant_id)
    if merchant is None:
        raise MerchantNotFound(merchant_id)
    return merchant


async def list_merchants(limit: int, offset: int, service: OrderService) -> list[Merchant]:
    return await service.merchants.page(limit, offset)


# Deals


@dataclass(frozen=True)
class CreateDeal:
    merchant_id: str
    title: str
    description: str
    price: Money
    original_price: Money
    stock: int | None
    per_user_limit: int
    sale_starts_at: datetime
    sale_ends_at: datetime
    voucher_valid_from: datetime
    voucher_valid_until: datetime


@dataclass(frozen=True)
class ChangeDeal:
    deal_id: str
    status: str | None
    edits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DealView:
    deal: Deal
    merchant: Merchant | None


async def create_deal(command: CreateDeal, caller: Caller | None, service: OrderService) -> Deal:
    if not _manages(caller, command.merchant_id):
        raise Forbidden("only the merchant's staff or an admin may add its deals")
    if await service.merchants.get(command.merchant_id) is None:
        raise MerchantNotFound(command.merchant_id)
    deal_rules.new_deal_stock_rule(command.stock)
    deal = Deal(
        deal_id=uuid.uuid4().hex,
        merchant_id=command.merchant_id,
        status="draft",
        title=command.title.strip(),
        description=command.description,
        price=command.price,
        original_price=command.original_price,
        stock=command.stock,
        sold=0,
        per_user_limit=command.per_user_limit,
        sale_starts_at=_to_ms(command.sale_starts_at),
        sale_ends_at=_to_ms(command.sale_ends_at),
        voucher_valid_from=_to_ms(command.voucher_valid_from),
        voucher_valid_until=_to_ms(command.voucher_valid_until),
        created_at=service.now(),
    )
    await service.deals.add(deal)
    return deal


async def _visible_deal(deal_id: str, caller: Caller | None, service: OrderService) -> Deal:
    deal = await service.deals.get(deal_id)
    if deal is None or not (deal.is_public() or _manages(caller, deal.merchant_id)):
        raise DealNotFound(deal_id)
    return deal


async def change_deal(command: ChangeDeal, caller: Caller | None, service: OrderService) -> Deal:
    deal = await _visible_deal(command.deal_id, caller, service)
    if not _manages(caller, deal.merchant_id):
        raise Forbidden("only the merchant's staff or an admin may change its deals")
    edits = {
        name: _to_ms(value) if isinstance(value, datetime) else value for name, value in command.edits.items()
    }
    changed = deal_rules.change_deal(deal, command.status, edits)
    if changed == deal:
        return deal
    if not await service.deals.save_change(deal, changed):
        raise DealChangedConcurrently("the deal changed meanwhile; read it again")
    saved = await service.deals.get(deal.deal_id)
    assert saved is not None  # deals are never deleted
    log.info("deal_changed", deal_id=deal.deal_id, status=saved.status, fields=sorted(edits))
    return saved


async def get_deal(deal_id: str, caller: Caller | None, service: OrderService) -> DealView:
    deal = await _visible_deal(deal_id, caller, service)
    return DealView(deal, await service.merchants.get(deal.merchant_id))


async def list_deals(
    caller: Caller | None, merchant_id: str | None, status: str, limit: int, offset: int, service: OrderService
) -> list[DealView]:
    """On-sale (or ended) deals for anyone; drafts only of a merchant the caller manages."""
    if status == "draft":
        if merchant_id is None and caller is not None and caller.role == "staff":
            merchant_id = caller.merchant_id
        if not (caller is not None and caller.is_admin) and (merchant_id is None or not _manages(caller, merchant_id)):
            raise Forbidden("only a merchant's staff or an admin see its drafts")
    deals = await service.deals.page(statuses=[status], merchant_id=merchant_id, limit=limit, offset=offset)
    merchants = await service.merchants.get_many({deal.merchant_id for deal in deals})
    return [DealView(deal, merchants.get(deal.merchant_id)) for deal in deals]


# Orders


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


async def place_order(command: PlaceOrder, caller: Caller | None, service: OrderService) -> PlacedOrder:
    """Places (and pays) an order exactly once per (buyer, Idempotency-Key).

    The order document is the claim on the key: inserted first, "pending", with a fingerprint
    of the request. Then the buyer's quota and the deal's stock are reserved (each a
    conditional single-document update that also records this order's share), payment is
    taken, and one update makes the order "paid" with its voucher and OrderPlaced. A refusal
    marks the order "rejected" and gives back what was reserved. A retry finds the document
    and answers what the first request answered.
    """
    if caller is None or caller.role != "customer":
        raise Forbidden("only customers place orders")
    order_id = order_id_for(caller.account_id, command.idempotency_key)
    fingerprint = request_fingerprint(command.deal_id, command.quantity)
    existing = await service.orders.get(order_id)
    if existing is not None:
        return await _replay(existing, fingerprint, service)

    deal = await service.deals.get(command.deal_id)
    if deal is None or not deal.is_public():
        raise DealNotFound(command.deal_id)
    now = service.now()
    if not deal.is_on_sale_at(now):
        raise DealNotOnSale("this deal is not on sale now")
    if command.quantity > deal.per_user_limit:
        raise PerUserLimitReached(f"at most {deal.per_user_limit} per buyer")

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
    async with service.placing:
        existing = await service.orders.claim(order)
        if existing is not None:  # a concurrent request with the same key inserted it first
            return await _replay(existing, fingerprint, service)
        final = await _reserve_and_pay(order, deal, service)
    _raise_if_rejected(final)
    return PlacedOrder(final, replayed=False)


async def _replay(existing: Order, fingerprint: str, service: OrderService) -> PlacedOrder:
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    order: Order | None = existing
    deadline = time.monotonic() + service.replay_wait.total_seconds()
    delay = 0.02
    while order is not None and order.status == "pending":
        if time.monotonic() >= deadline:
            raise OrderInProgress("the first request with this Idempotency-Key is still running; retry later")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)
        order = await service.orders.get(existing.order_id)
    assert order is not None  # orders are never deleted
    _raise_if_rejected(order)
    return PlacedOrder(order, replayed=True)


def _raise_if_rejected(order: Order) -> None:
    if order.status == "rejected":
        reason = order.rejection_reason or "abandoned"
        raise REJECTIONS.get(reason, OrderInProgress)(reason.replace("_", " "))


async def _reserve_and_pay(order: Order, deal: Deal, service: OrderService) -> Order:
    if not await service.purchases.reserve(
        deal.deal_id, order.user_id, order.order_id, order.quantity, deal.per_user_limit
    ):
        return await _reject(order, PerUserLimitReached(), service)
    if not await service.deals.reserve_stock(deal, order.order_id, order.quantity, service.now()):
        return await _reject(order, await _why_no_stock(deal.deal_id, service), service)
    try:
        payment = await service.payments.charge(order.order_id, order.amount)
    except PaymentFailed as error:
        return await _reject(order, error, service)
    return await _pay(order, deal, payment, service)


async def _why_no_stock(deal_id: str, service: OrderService) -> OrderServiceError:
    deal = await service.deals.get(deal_id)
    if deal is None:
        return DealNotFound(deal_id)
    if not deal.is_on_sale_at(service.now()):
        return DealNotOnSale()
    return SoldOut()


async def _pay(order: Order, deal: Deal, payment: Payment, service: OrderService) -> Order:
    voucher = await _new_voucher(order.order_id, deal, service)
    now = service.now()
    event = OrderPlaced(
        occurred_at=now,
        producer=PRODUCER,
        correlation_id=order.correlation_id or "",
        order_id=order.order_id,
        deal_id=order.deal_id,
        merchant_id=order.merchant_id,
        user_id=order.user_id,
        quantity=order.quantity,
        amount_minor=order.amount.amount_minor,
        currency=order.amount.currency,
        voucher_valid_from=voucher.valid_from,
        voucher_valid_until=voucher.valid_until,
    )
    paid = await service.orders.mark_paid(order.order_id, voucher, payment, event, now)
    if paid is None:  # the recovery sweep decided first; follow what it decided
        return await _settle_quietly(await _reload(order, service), service)
    service.notify(ORDERS, paid.order_id)
    log.info("order_paid", order_id=paid.order_id, deal_id=paid.deal_id, quantity=paid.quantity)
    return await _settle_quietly(paid, service)


async def _new_voucher(order_id: str, deal: Deal, service: OrderService) -> Voucher:
    for _ in range(VOUCHER_CODE_ATTEMPTS):
        code = new_voucher_code()
        if await service.orders.claim_voucher_code(code, order_id):
            return Voucher(code, qr_payload(code), deal.voucher_valid_from, deal.voucher_valid_until)
    # 5 collisions in a row among 10^12 codes means something else is wrong.
    raise RuntimeError("could not find a free voucher code")


async def _reject(order: Order, error: OrderServiceError, service: OrderService) -> Order:
    rejected = await service.orders.mark_rejected(order.order_id, rejection_reason(error), service.now())
    if rejected is None:
        return await _settle_quietly(await _reload(order, service), service)
    log.info("order_rejected", order_id=order.order_id, deal_id=order.deal_id, reason=rejected.rejection_reason)
    return await _settle_quietly(rejected, service)


async def _reload(order: Order, service: OrderService) -> Order:
    current = await service.orders.get(order.order_id)
    assert current is not None  # orders are never deleted
    return current


async def _settle_quietly(order: Order, service: OrderService) -> Order:
    """Settles now if it can; if the database fails here, the recovery sweep settles later."""
    try:
        await settle(order, service)
    except Exception as error:  # noqa: BLE001 - the status change is done; the rest is recoverable
        log.warning("order_settle_deferred", order_id=order.order_id, status=order.status, error=str(error))
    return order


async def settle(order: Order, service: OrderService) -> None:
    """Does the idempotent follow-up work of the order's status in other documents, then marks it settled."""
    if order.status == "pending" or order.settled:
        return
    if order.status in ("paid", "redeemed"):
        await service.deals.settle_hold(order.deal_id, order.order_id)
    elif order.status == "rejected":
        await service.payments.refund(order.order_id)
        deal = await service.deals.get(order.deal_id)
        if deal is not None:
            await service.deals.release_hold(deal, order.order_id, order.quantity)
        await service.purchases.release(order.deal_id, order.user_id, order.order_id, order.quantity)
    elif order.status == "refunded":
        await service.payments.refund(order.order_id)
        deal = await service.deals.get(order.deal_id)
        if deal is not None:
            # Forget the hold first (it may be unsettled still), so stock comes back exactly once.
            await service.deals.settle_hold(order.deal_id, order.order_id)
            await service.deals.return_refunded(deal, order.order_id, order.quantity)
        await service.purchases.release(order.deal_id, order.user_id, order.order_id, order.quantity)
    await service.orders.mark_settled(order.order_id, order.status)


async def recover_unsettled(service: OrderService) -> int:
    """The crash-recovery sweep: finishes or compensates orders left unsettled for too long.

    A pending order that holds both its quota and its stock is paid (charging is idempotent
    per order); one that holds less is rejected as abandoned and gives back what it holds.
    Any other unsettled order gets its follow-up work done. Returns the number of orders handled.
    """
    stale = await service.orders.unsettled_before(service.now() - service.pending_timeout, service.sweep_batch)
    for order in stale:
        try:
            await _recover(order, service)
        except Exception as error:  # noqa: BLE001 - one order's failure must not stop the sweep
            log.warning("order_recovery_failed", order_id=order.order_id, error=str(error))
    return len(stale)


async def _recover(order: Order, service: OrderService) -> None:
    if order.status != "pending":
        await settle(order, service)
        log.info("order_settled_by_sweep", order_id=order.order_id, status=order.status)
        return
    deal = await service.deals.get(order.deal_id)
    holds_everything = (
        deal is not None
        and await service.purchases.holds_quota_for(order.deal_id, order.user_id, order.order_id)
        and await service.deals.holds_stock_for(order.deal_id, order.order_id)
    )
    if deal is not None and holds_everything:
        payment = await service.payments.charge(order.order_id, order.amount)
        finished = await _pay(order, deal, payment, service)
    else:
        finished = await _reject(order, OrderAbandoned(), service)
    log.warning("pending_order_recovered", order_id=order.order_id, status=finished.status)


# Vouchers and refunds


@dataclass(frozen=True)
class RedeemVoucher:
    code: str


async def redeem_voucher(command: RedeemVoucher, caller: Caller | None, service: OrderService) -> Order:
    """A merchant's staff redeem a voucher of their merchant, exactly once, within its validity."""
    if caller is None or caller.role != "staff" or caller.merchant_id is None:
        raise Forbidden("only a merchant's staff redeem vouchers")
    code = normalize_code(command.code)
    order_id = await service.orders.order_id_of_voucher(code) if code else None
    order = await service.orders.get(order_id) if order_id else None
    if code is None or order is None or order.voucher is None or order.voucher.code != code:
        raise VoucherNotFound("no order has this voucher")
    if order.merchant_id != caller.merchant_id:
        raise VoucherOfAnotherMerchant("this voucher is for another merchant")
    now = service.now()
    event = OrderRedeemed(
        occurred_at=now,
        producer=PRODUCER,
        correlation_id=current_correlation_id() or "",
        order_id=order.order_id,
        deal_id=order.deal_id,
        merchant_id=order.merchant_id,
        user_id=order.user_id,
        redeemed_by=caller.account_id,
    )
    redeemed = await service.orders.redeem(order.order_id, code, caller.merchant_id, caller.account_id, event, now)
    if redeemed is None:
        raise why_not_redeemable(await service.orders.get(order.order_id), code, caller.merchant_id, now)
    service.notify(ORDERS, redeemed.order_id)
    log.info("voucher_redeemed", order_id=redeemed.order_id, merchant_id=redeemed.merchant_id)
    return redeemed


async def _visible_order(order_id: str, caller: Caller, service: OrderService) -> Order:
    order = await service.orders.get(order_id)
    if order is None or not can_see(order, caller):
        raise OrderNotFound(order_id)
    return order


@dataclass(frozen=True)
class RefundOrder:
    order_id: str


async def refund_order(command: RefundOrder, caller: Caller, service: OrderService) -> Order:
    """The buyer (or an admin) refunds a paid, unredeemed order; its stock and quota come back."""
    order = await _visible_order(command.order_id, caller, service)
    if not can_refund(order, caller):
        raise Forbidden("only the buyer or an admin may refund an order")
    if order.status != "paid":
        raise OrderNotRefundable(f"a {order.status} order cannot be refunded")
    now = service.now()
    event = OrderRefunded(
        occurred_at=now,
        producer=PRODUCER,
        correlation_id=current_correlation_id() or "",
        order_id=order.order_id,
        deal_id=order.deal_id,
        merchant_id=order.merchant_id,
        user_id=order.user_id,
        quantity=order.quantity,
        refunded_by=caller.account_id,
    )
    refunded = await service.orders.refund(order.order_id, caller.account_id, event, now)
    if refunded is None:
        current = await _reload(order, service)
        raise OrderNotRefundable(f"a {current.status} order cannot be refunded")
    service.notify(ORDERS, refunded.order_id)
    log.info("order_refunded", order_id=refunded.order_id, refunded_by=caller.account_id)
    return await _settle_quietly(refunded, service)


async def get_order(order_id: str, caller: Caller, service: OrderService) -> Order:
    return await _visible_order(order_id, caller, service)


async def list_orders(
    caller: Caller, status: str | None, deal_id: str | None, limit: int, offset: int, service: OrderService
) -> list[Order]:
    """A customer's own orders, a merchant's orders for its staff, every order for admins."""
    user_id = merchant_id = None
    if caller.role == "customer":
        user_id = caller.account_id
    elif caller.role == "staff":
        if caller.merchant_id is None:
            raise Forbidden("staff without a merchant")
        merchant_id = caller.merchant_id
    return await service.orders.page(
        user_id=user_id, merchant_id=merchant_id, status=status, deal_id=deal_id, limit=limit, offset=offset
    )
