"""How the order service's domain errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.problems import Problem, answer_errors

from ..domain import errors
from ..domain.orders import InvalidTransition

# error class -> (status, slug, title); a title never changes for its slug, the detail may.
_PROBLEMS: dict[type[errors.OrderServiceError], tuple[int, str, str]] = {
    errors.Forbidden: (403, "forbidden", "Not allowed"),
    errors.InvalidMerchant: (422, "invalid-merchant", "The merchant is not valid"),
    errors.MerchantNotFound: (404, "merchant-not-found", "No such merchant"),
    errors.InvalidMoney: (422, "invalid-money", "An amount of money is not valid"),
    errors.InvalidDeal: (422, "invalid-deal", "The deal is not valid"),
    errors.DealNotFound: (404, "deal-not-found", "No such deal"),
    errors.DealNotEditable: (409, "deal-not-editable", "Only a draft deal's fields can change"),
    errors.InvalidStatusChange: (409, "invalid-status-change", "The deal cannot move to that status"),
    errors.DealChangedConcurrently: (409, "deal-changed", "The deal changed meanwhile"),
    errors.DealNotOnSale: (409, "deal-not-on-sale", "The deal is not on sale"),
    errors.SoldOut: (409, "sold-out", "Not enough stock left"),
    errors.PerUserLimitReached: (409, "per-user-limit-reached", "The per-buyer limit of this deal is reached"),
    errors.IdempotencyKeyReused: (422, "idempotency-key-reused", "The Idempotency-Key was used for another request"),
    errors.OrderInProgress: (409, "order-in-progress", "An order with this Idempotency-Key is still being placed"),
    errors.OrderAbandoned: (409, "order-abandoned", "Placing this order stopped half-way and was undone"),
    errors.PaymentFailed: (402, "payment-failed", "The payment did not go through"),
    errors.OrderNotFound: (404, "order-not-found", "No such order"),
    errors.OrderNotRefundable: (409, "order-not-refundable", "Only a paid, unredeemed order can be refunded"),
    errors.VoucherNotFound: (404, "voucher-not-found", "No such voucher"),
    errors.VoucherAlreadyRedeemed: (409, "voucher-already-redeemed", "The voucher was already redeemed"),
    errors.VoucherOfAnotherMerchant: (403, "voucher-of-another-merchant", "The voucher is for another merchant"),
    errors.VoucherExpired: (409, "voucher-expired", "The voucher is not valid at this time"),
    errors.VoucherRefunded: (409, "voucher-refunded", "The voucher's order was refunded"),
    InvalidTransition: (409, "invalid-order-transition", "The order cannot move to that status"),
}


def problem_for(error: errors.OrderServiceError) -> Problem:
    status, slug, title = next(_PROBLEMS[cls] for cls in type(error).__mro__ if cls in _PROBLEMS)
    headers = {"Retry-After": "1"} if isinstance(error, errors.OrderInProgress) else None
    # Not-found and another-merchant answers say no more than their title: they must not
    # tell a caller anything about an object that is not theirs.
    quiet = isinstance(error, errors.OrderNotFound | errors.VoucherNotFound | errors.VoucherOfAnotherMerchant
                       | errors.DealNotFound | errors.MerchantNotFound)
    return Problem(status, slug, title, "" if quiet else str(error), headers=headers)


def install_order_problems(app: FastAPI) -> None:
    # A database that does not answer is a 503 (liveline_shared.problems): a half-placed order
    # is finished or undone by the recovery sweep, and a retry with its Idempotency-Key answers it.
    answer_errors(app, errors.OrderServiceError, problem_for)
