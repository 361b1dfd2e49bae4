"""Orders and their state machine.

    pending --> paid --> redeemed
       |          \\--> refunded
       \\--> rejected

An order is created "pending" by the request that places it; the same document is the claim
on the request's Idempotency-Key. While pending it reserves the buyer's quota and the deal's
stock, then takes payment. Every status change is one conditional update from the status
before it. Work that follows a status change and lives in other documents (settling or giving
back stock, giving back quota, refunding the payment) is idempotent and marked done by
`settled`; the recovery sweep finishes it for orders that stay unsettled.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from liveline_shared.callers import Caller

from .errors import (
    OrderServiceError,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherNotFound,
    VoucherOfAnotherMerchant,
    VoucherRefunded,
)
from .money import Money

OrderStatus = Literal["pending", "paid", "rejected", "redeemed", "refunded"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"paid", "rejected"}),
    "paid": frozenset({"redeemed", "refunded"}),
    "rejected": frozenset(),
    "redeemed": frozenset(),
    "refunded": frozenset(),
}

# Orders are named from (buyer, key) so that a retried request finds the same document.
_ORDER_NAMESPACE = uuid.UUID("6f1f8d8e-5b3c-4f7e-9a51-2b0c1f6f3a10")


class InvalidTransition(OrderServiceError):
    pass


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_move(current, target):
        raise InvalidTransition(f"an order cannot go from {current} to {target}")


def order_id_for(user_id: str, idempotency_key: str) -> str:
    return uuid.uuid5(_ORDER_NAMESPACE, json.dumps([user_id, idempotency_key])).hex


def request_fingerprint(deal_id: str, quantity: int) -> str:
    """What makes two requests with one Idempotency-Key the same request."""
    return hashlib.sha256(json.dumps({"deal_id": deal_id, "quantity": quantity}, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Voucher:
    code: str
    qr_payload: str
    valid_from: datetime
    valid_until: datetime

    def is_valid_at(self, now: datetime) -> bool:
        return self.valid_from <= now <= self.valid_until


@dataclass(frozen=True)
class Payment:
    provider: str
    sandbox: bool
    reference: str


@dataclass(frozen=True)
class Order:
    order_id: str
    status: OrderStatus
    user_id: str
    deal_id: str
    merchant_id: str
    quantity: int
    amount: Money
    request_fingerprint: str
    created_at: datetime
    updated_at: datetime
    settled: bool
    voucher: Voucher | None = None
    payment: Payment | None = None
    rejection_reason: str | None = None
    correlation_id: str | None = None
    paid_at: datetime | None = None
    redeemed_at: datetime | None = None
    redeemed_by: str | None = None
    refunded_at: datetime | None = None
    refunded_by: str | None = None


def can_see(order: Order, caller: Caller) -> bool:
    """Its buyer, its merchant's staff and admins see an order; to anyone else it does not exist."""
    return caller.is_admin or caller.account_id == order.user_id and caller.role == "customer" or caller.is_staff_of(
        order.merchant_id
    )


def can_refund(order: Order, caller: Caller) -> bool:
    return caller.is_admin or (caller.role == "customer" and caller.account_id == order.user_id)


def why_not_redeemable(order: Order | None, code: str, staff_merchant_id: str, now: datetime) -> OrderServiceError:
    """The refusal to explain when the conditional redemption matched nothing.

    Another merchant's staff learn only that the voucher is not theirs, never its state.
    """
    if order is None or order.voucher is None or order.voucher.code != code:
        return VoucherNotFound("no order has this voucher")
    if order.merchant_id != staff_merchant_id:
        return VoucherOfAnotherMerchant("this voucher is for another merchant")
    if order.status == "redeemed":
        return VoucherAlreadyRedeemed("this voucher was already redeemed")
    if order.status == "refunded":
        return VoucherRefunded("this order was refunded")
    if order.status != "paid":
        return VoucherNotFound("no order has this voucher")
    if not order.voucher.is_valid_at(now):
        when = "has expired" if now > order.voucher.valid_until else "is not valid yet"
        return VoucherExpired(f"this voucher {when}")
    # Paid, ours, valid: it changed between our attempt and this read (redeemed or refunded meanwhile).
    return VoucherAlreadyRedeemed("this voucher was just used")
