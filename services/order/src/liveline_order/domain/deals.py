"""Deals: what a merchant sells, at what price, how many, when, and when the voucher is valid."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .errors import DealNotEditable, InvalidDeal, InvalidStatusChange
from .money import Money

DealStatus = Literal["draft", "on_sale", "ended"]

# Where a status may go next. Nothing leaves "ended": orders and vouchers refer to the deal.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    "draft": frozenset({"on_sale", "ended"}),
    "on_sale": frozenset({"ended"}),
    "ended": frozenset(),
}
# The fields a draft may still change; after that, buyers have seen (and bought) the deal.
EDITABLE_FIELDS = (
    "title", "description", "price", "original_price", "stock", "per_user_limit",
    "sale_starts_at", "sale_ends_at", "voucher_valid_from", "voucher_valid_until",
)
# Null means unlimited stock; every other field a deal cannot be without.
NULLABLE_FIELDS = frozenset({"stock"})


@dataclass(frozen=True)
class Deal:
    deal_id: str
    merchant_id: str
    status: DealStatus
    title: str
    description: str
    price: Money
    original_price: Money
    stock: int | None  # units left; None is unlimited
    sold: int
    per_user_limit: int
    sale_starts_at: datetime
    sale_ends_at: datetime
    voucher_valid_from: datetime
    voucher_valid_until: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        check_deal_rules(self)

    def is_on_sale_at(self, now: datetime) -> bool:
        return self.status == "on_sale" and self.sale_starts_at <= now < self.sale_ends_at

    def is_public(self) -> bool:
        """Drafts are seen only by their merchant's staff and admins."""
        return self.status != "draft"


def check_deal_rules(deal: Deal) -> None:
    if not deal.title.strip():
        raise InvalidDeal("a deal needs a title")
    if deal.price.currency != deal.original_price.currency:
        raise InvalidDeal("price and original price must be in the same currency")
    if deal.original_price.amount_minor <= 0:
        raise InvalidDeal("the original price must be above zero")
    if deal.original_price.amount_minor < deal.price.amount_minor:
        raise InvalidDeal("the price may not exceed the original price")
    if deal.stock is not None and deal.stock < 0:
        raise InvalidDeal("stock cannot be negative")
    if deal.per_user_limit < 1:
        raise InvalidDeal("the per-user limit is at least 1")
    for moment in (deal.sale_starts_at, deal.sale_ends_at, deal.voucher_valid_from, deal.voucher_valid_until):
        if moment.tzinfo is None:
            raise InvalidDeal("times must carry a UTC offset")
    if deal.sale_starts_at >= deal.sale_ends_at:
        raise InvalidDeal("the sale must start before it ends")
    if deal.voucher_valid_from >= deal.voucher_valid_until:
        raise InvalidDeal("the voucher must become valid before it expires")
    if deal.voucher_valid_until < deal.sale_ends_at:
        raise InvalidDeal("vouchers must stay valid at least until the sale ends")


def new_deal_stock_rule(stock: int | None) -> None:
    if stock is not None and stock < 1:
        raise InvalidDeal("stock is a positive number of units, or null for unlimited")


def change_deal(deal: Deal, status: str | None, edits: dict[str, Any]) -> Deal:
    """The deal after a status change and/or field edits, every rule checked again."""
    unknown = set(edits) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidDeal(f"cannot change {', '.join(sorted(unknown))}")
    nulls = sorted(name for name, value in edits.items() if value is None and name not in NULLABLE_FIELDS)
    if nulls:
        raise InvalidDeal(f"{', '.join(nulls)} cannot be null")
    if edits and deal.status != "draft":
        raise DealNotEditable("only a draft's fields may change")
    if "stock" in edits:
        new_deal_stock_rule(edits["stock"])
    changed = dataclasses.replace(deal, **edits)
    if status is not None and status != deal.status:
        if status not in NEXT_STATUSES[deal.status]:
            raise InvalidStatusChange(f"a deal cannot go from {deal.status} to {status}")
        changed = dataclasses.replace(changed, status=status)
    return changed
