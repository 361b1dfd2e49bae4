"""Deals: a merchant's staff (or an admin) create and change them; anyone reads those on sale."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from liveline_shared.callers import Caller
from liveline_shared.clock import to_millis

from ..domain import deals as deal_rules
from ..domain.deals import Deal
from ..domain.errors import DealChangedConcurrently, DealNotFound, Forbidden, MerchantNotFound
from ..domain.merchants import Merchant
from ..domain.money import Money
from .dependencies import Dependencies, manages

log = structlog.get_logger(__name__)


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


async def create_deal(command: CreateDeal, caller: Caller | None, deps: Dependencies) -> Deal:
    if not manages(caller, command.merchant_id):
        raise Forbidden("only the merchant's staff or an admin may add its deals")
    if await deps.merchants.get(command.merchant_id) is None:
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
        sale_starts_at=to_millis(command.sale_starts_at),
        sale_ends_at=to_millis(command.sale_ends_at),
        voucher_valid_from=to_millis(command.voucher_valid_from),
        voucher_valid_until=to_millis(command.voucher_valid_until),
        created_at=deps.now(),
    )
    await deps.deals.add(deal)
    return deal


async def visible_deal(deal_id: str, caller: Caller | None, deps: Dependencies) -> Deal:
    """The deal if the caller may see it: on sale (or ended) for anyone, drafts for its managers."""
    deal = await deps.deals.get(deal_id)
    if deal is None or not (deal.is_public() or manages(caller, deal.merchant_id)):
        raise DealNotFound(deal_id)
    return deal


async def change_deal(command: ChangeDeal, caller: Caller | None, deps: Dependencies) -> Deal:
    deal = await visible_deal(command.deal_id, caller, deps)
    if not manages(caller, deal.merchant_id):
        raise Forbidden("only the merchant's staff or an admin may change its deals")
    edits = {name: to_millis(value) if isinstance(value, datetime) else value for name, value in command.edits.items()}
    changed = deal_rules.change_deal(deal, command.status, edits)
    if changed == deal:
        return deal
    if not await deps.deals.save_change(deal, changed):
        raise DealChangedConcurrently("the deal changed meanwhile; read it again")
    saved = await deps.deals.get(deal.deal_id)
    assert saved is not None  # deals are never deleted
    log.info("deal_changed", deal_id=deal.deal_id, status=saved.status, fields=sorted(edits))
    return saved


async def get_deal(deal_id: str, caller: Caller | None, deps: Dependencies) -> DealView:
    deal = await visible_deal(deal_id, caller, deps)
    return DealView(deal, await deps.merchants.get(deal.merchant_id))


async def list_deals(
    caller: Caller | None, merchant_id: str | None, status: str, limit: int, offset: int, deps: Dependencies
) -> list[DealView]:
    """On-sale (or ended) deals for anyone; drafts only of a merchant the caller manages."""
    if status == "draft":
        if merchant_id is None and caller is not None and caller.role == "staff":
            merchant_id = caller.merchant_id
        if not (caller is not None and caller.is_admin) and (merchant_id is None or not manages(caller, merchant_id)):
            raise Forbidden("only a merchant's staff or an admin see its drafts")
    deals = await deps.deals.page(statuses=[status], merchant_id=merchant_id, limit=limit, offset=offset)
    merchants = await deps.merchants.get_many({deal.merchant_id for deal in deals})
    return [DealView(deal, merchants.get(deal.merchant_id)) for deal in deals]
