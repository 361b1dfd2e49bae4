"""Merchants and deals, relayed to the order service: anyone reads what is on sale; a merchant's
staff (or an admin) draft deals and put them on sale. The order service decides who may."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from liveline_shared.api_dependencies import PageLimitQuery, PageOffset
from liveline_shared.contracts.orders import DealChange, DealOut, DealPage, DealStatus, MerchantOut, NewDeal
from liveline_shared.problems import problem_responses

from ...handlers import relay
from ..deps import CurrentCaller, OptionalCaller, OrderServiceClientDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["catalog"])


@router.get(
    "/merchants/{merchant_id}", response_model=MerchantOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="One merchant",
)
async def get_merchant(
    merchant_id: ObjectId, caller: OptionalCaller, orders: OrderServiceClientDep, request: Request
) -> Response:
    return answer_from(await relay.get_merchant(merchant_id, caller, orders), request)


@router.get(
    "/deals", response_model=DealPage, responses=problem_responses(401, 403, 422, 502, 503),
    summary="Deals, newest first, merchants embedded",
    description="On-sale deals by default. `status=ended` lists ended deals; `status=draft` only a "
    "merchant's own drafts for its staff (or any for admins), otherwise 403.",
)
async def list_deals(
    caller: OptionalCaller,
    orders: OrderServiceClientDep,
    request: Request,
    merchant_id: Annotated[str | None, Query(max_length=64)] = None,
    status: DealStatus | None = None,
    limit: PageLimitQuery = None,
    offset: PageOffset = 0,
) -> Response:
    query = {"merchant_id": merchant_id, "status": status, "limit": limit, "offset": offset}
    return answer_from(await relay.list_deals(query, caller, orders), request)


@router.get(
    "/deals/{deal_id}", response_model=DealOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="One deal, its merchant embedded (drafts only for their managers)",
)
async def get_deal(deal_id: ObjectId, caller: OptionalCaller, orders: OrderServiceClientDep, request: Request) -> Response:
    return answer_from(await relay.get_deal(deal_id, caller, orders), request)


@router.post(
    "/merchants/{merchant_id}/deals", status_code=201, response_model=DealOut,
    responses=problem_responses(401, 403, 404, 413, 422, 502, 503),
    summary="Draft a deal (the merchant's staff or admins)",
)
async def create_deal(
    merchant_id: ObjectId, body: NewDeal, caller: CurrentCaller, orders: OrderServiceClientDep, request: Request
) -> Response:
    return answer_from(await relay.create_deal(merchant_id, body.model_dump(mode="json"), caller, orders), request)


@router.patch(
    "/deals/{deal_id}", response_model=DealOut, responses=problem_responses(401, 403, 404, 409, 413, 422, 502, 503),
    summary="Change a deal's status (draft -> on_sale -> ended) or, while draft, its fields",
)
async def change_deal(
    deal_id: ObjectId, body: DealChange, caller: CurrentCaller, orders: OrderServiceClientDep, request: Request
) -> Response:
    change = body.model_dump(mode="json", exclude_unset=True)
    return answer_from(await relay.change_deal(deal_id, change, caller, orders), request)
