"""What the order service refuses, in the domain's words.

The API turns each of these into a problem document with a stable type (see api/problems.py);
handlers and adapters raise them without knowing about HTTP.
"""

from __future__ import annotations


class OrderServiceError(Exception):
    """The base of every refusal the order service explains to its caller."""


class Forbidden(OrderServiceError):
    """The caller's role may not do this (never used to hide an object: see the NotFound errors)."""


class InvalidMerchant(OrderServiceError):
    """A merchant's fields break a rule (unknown time zone, unusable contact)."""


class MerchantNotFound(OrderServiceError):
    pass


class InvalidDeal(OrderServiceError):
    """A deal's fields break a rule (prices, windows, stock)."""


class InvalidMoney(InvalidDeal):
    pass


class DealNotFound(OrderServiceError):
    """No such deal, or one the caller may not see."""


class DealNotEditable(OrderServiceError):
    """Only a draft's fields may change."""


class InvalidStatusChange(OrderServiceError):
    """A deal's status moves only draft -> on_sale -> ended (or draft -> ended)."""


class DealChangedConcurrently(OrderServiceError):
    """Someone else changed the deal between our read and our write; read it again."""


class DealNotOnSale(OrderServiceError):
    """The deal is not on sale now (a draft, ended, or outside its sale window)."""


class SoldOut(OrderServiceError):
    """Not enough stock left for this quantity."""


class PerUserLimitReached(OrderServiceError):
    """This buyer would hold more units of the deal than it allows."""


class IdempotencyKeyReused(OrderServiceError):
    """The Idempotency-Key was already used for a different request."""


class OrderInProgress(OrderServiceError):
    """Another request with the same Idempotency-Key is still being processed."""


class OrderAbandoned(OrderServiceError):
    """The request placing this order stopped half-way; the recovery sweep gave back what it held."""


class PaymentFailed(OrderServiceError):
    pass


class OrderNotFound(OrderServiceError):
    """No such order, or one the caller may not see."""


class OrderNotRefundable(OrderServiceError):
    """Only a paid, unredeemed order can be refunded."""


class VoucherNotFound(OrderServiceError):
    pass


class VoucherAlreadyRedeemed(OrderServiceError):
    pass


class VoucherOfAnotherMerchant(OrderServiceError):
    pass


class VoucherExpired(OrderServiceError):
    """Outside the voucher's validity window (expired, or not valid yet)."""


class VoucherRefunded(OrderServiceError):
    pass


# The reasons a rejected order records, and the error a replay of it answers again.
REJECTIONS: dict[str, type[OrderServiceError]] = {
    "sold_out": SoldOut,
    "per_user_limit_reached": PerUserLimitReached,
    "deal_not_on_sale": DealNotOnSale,
    "deal_not_found": DealNotFound,
    "payment_failed": PaymentFailed,
    "abandoned": OrderAbandoned,
}


def rejection_reason(error: OrderServiceError) -> str:
    return next(reason for reason, cls in REJECTIONS.items() if type(error) is cls)
