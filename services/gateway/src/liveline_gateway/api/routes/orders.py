"""Orders and redemptions, relayed to the order service with the caller: customers buy (with an
Idempotency-Key) and refund; buyers, their merchant's staff and admins read orders; staff redeem
vouchers. To anyone else an order does not exist (404); the order service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from liveline_shared.api_dependencies import IdempotencyKey, PageLimitQuery, PageOffset
from liveline_shared.contracts.orders import (
    IDEMPOTENT_REPLAY_HEADER,
    OrderOut,
    OrderPage,
    OrderStatus,
    PlaceOrder,
    Redeem,
)
from liveline_shared.problems import problem_responses

from ...handlers import relay
from ..deps import CurrentCaller, OrderServiceClientDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["orders"])

@router.post(
    "/orders", status_code=201, response_model=OrderOut,
    responses=problem_responses(401, 402, 403, 404, 409, 413, 422, 502, 503), summary="Buy a deal (customers)",
    description="Answers 201 with the paid order and its voucher, both the first time and for every retry "
    f"with the same Idempotency-Key (a retry also carries `{IDEMPOTENT_REPLAY_HEADER}: true`). The same key "
    "with a different body is a 422 idempotency-key-reused problem.",
)
async def place_order(
    body: PlaceOrder, idempotency_key: IdempotencyKey, caller: CurrentCaller, orders: OrderServiceClientDep,
    request: Request,
) -> Response:
    return answer_from(await relay.place_order(body.model_dump(mode="json"), idempotency_key, caller, orders), request)


@router.get(
    "/orders", response_model=OrderPage, responses=problem_responses(401, 403, 422, 502, 503),
    summary="Orders, newest first: a customer's own, a merchant's for its staff, all for admins",
)
async def list_orders(
    caller: CurrentCaller,
    orders: OrderServiceClientDep,
    request: Request,
    status: OrderStatus | None = None,
    deal_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: PageLimitQuery = None,
    offset: PageOffset = 0,
) -> Response:
    query = {"status": status, "deal_id": deal_id, "limit": limit, "offset": offset}
    return answer_from(await relay.list_orders(query, caller, orders), request)


@router.get(
    "/orders/{order_id}", response_model=OrderOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="One order (its buyer, the merchant's staff, admins)",
)
async def get_order(order_id: ObjectId, caller: CurrentCaller, orders: OrderServiceClientDep, request: Request) -> Response:
    return answer_from(await relay.get_order(order_id, caller, orders), request)


@router.post(
    "/orders/{order_id}/refund", response_model=OrderOut,
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
    summary="Refund a paid, unredeemed order (its buyer or an admin)",
)
async def refund_order(
    order_id: ObjectId, caller: CurrentCaller, orders: OrderServiceClientDep, request: Request
) -> Response:
    return answer_from(await relay.refund_order(order_id, caller, orders), request)


@router.post(
    "/redemptions", response_model=OrderOut, responses=problem_responses(401, 403, 404, 409, 413, 422, 502, 503),
    summary="Redeem a voucher, once (the staff of its merchant)",
)
async def redeem(body: Redeem, caller: CurrentCaller, orders: OrderServiceClientDep, request: Request) -> Response:
    return answer_from(await relay.redeem(body.model_dump(mode="json"), caller, orders), request)
