"""Deals: a merchant's staff (or an admin) draft them and put them on sale; anyone reads those on sale."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from liveline_shared.api_dependencies import OptionalCaller
from liveline_shared.contracts.orders import DealChange, DealOut, DealPage, DealStatus, NewDeal
from liveline_shared.problems import problem_responses

from ... import handlers
from ...domain.money import Money
from ..deps import Deps, PageLimit, PageOffset
from ..views import deal_out

router = APIRouter(tags=["deals"])


def _money(value: object) -> Money:
    return Money(value.amount_minor, value.currency)  # type: ignore[attr-defined]


@router.post(
    # Not {merchant_id}: FastAPI would take the caller's X-Liveline-Caller-Merchant parameter
    # (also named merchant_id, in liveline_shared.callers) for this path parameter.
    "/merchants/{merchant}/deals", status_code=201, response_model=DealOut,
    responses=problem_responses(401, 403, 404, 413, 422), summary="Draft a deal (the merchant's staff or admins)",
)
async def create_deal(merchant: str, body: NewDeal, caller: OptionalCaller, deps: Deps) -> DealOut:
    command = handlers.CreateDeal(
        merchant_id=merchant, title=body.title, description=body.description,
        price=_money(body.price), original_price=_money(body.original_price), stock=body.stock,
        per_user_limit=body.per_user_limit, sale_starts_at=body.sale_starts_at, sale_ends_at=body.sale_ends_at,
        voucher_valid_from=body.voucher_valid_from, voucher_valid_until=body.voucher_valid_until,
    )
    return deal_out(await handlers.create_deal(command, caller, deps))


@router.patch(
    "/deals/{deal_id}", response_model=DealOut, responses=problem_responses(401, 403, 404, 409, 413, 422),
    summary="Change a deal's status (draft -> on_sale -> ended) or, while draft, its fields",
)
async def change_deal(deal_id: str, body: DealChange, caller: OptionalCaller, deps: Deps) -> DealOut:
    edits = body.model_dump(exclude_unset=True, exclude={"status"})
    for name in ("price", "original_price"):
        if edits.get(name) is not None:
            edits[name] = _money(getattr(body, name))
    command = handlers.ChangeDeal(deal_id=deal_id, status=body.status, edits=edits)
    return deal_out(await handlers.change_deal(command, caller, deps))


@router.get("/deals/{deal_id}", response_model=DealOut, responses=problem_responses(404), summary="One deal, its merchant embedded")
async def get_deal(deal_id: str, caller: OptionalCaller, deps: Deps) -> DealOut:
    view = await handlers.get_deal(deal_id, caller, deps)
    return deal_out(view.deal, view.merchant)


@router.get(
    "/deals", response_model=DealPage, responses=problem_responses(403, 422),
    summary="Deals on sale (drafts of their own merchant for staff and admins), merchants embedded",
)
async def list_deals(
    caller: OptionalCaller, deps: Deps, limit: PageLimit, offset: PageOffset = 0,
    merchant_id: Annotated[str | None, Query(max_length=64)] = None,
    status: DealStatus = "on_sale",
) -> DealPage:
    views = await handlers.list_deals(caller, merchant_id, status, limit, offset, deps)
    return DealPage(items=[deal_out(v.deal, v.merchant) for v in views], limit=limit, offset=offset)
