"""Orders: customers place them (idempotently) and refund them; buyers, their merchant's staff and
admins read them. To anyone else an order does not exist (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from liveline_shared.api_dependencies import AuthenticatedCaller, IdempotencyKey, OptionalCaller
from liveline_shared.contracts.orders import (
    IDEMPOTENT_REPLAY_HEADER,
    OrderOut,
    OrderPage,
    OrderStatus,
    PlaceOrder,
)
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps, PageLimit, PageOffset
from ..views import order_out

router = APIRouter(tags=["orders"])

@router.post(
    "/orders", status_code=201, response_model=OrderOut, responses=problem_responses(401, 403, 404, 409, 413, 422),
    summary="Place and pay an order (customers)",
    description="Answers 201 with the paid order, both the first time and for every retry with the same "
    f"Idempotency-Key (a retry also carries `{IDEMPOTENT_REPLAY_HEADER}: true`). A retry of a refused order "
    "answers the same problem. The same key with a different body is a 422 idempotency-key-reused problem.",
)
async def place_order(
    body: PlaceOrder, idempotency_key: IdempotencyKey, caller: OptionalCaller, deps: Deps, response: Response
) -> OrderOut:
    command = handlers.PlaceOrder(idempotency_key=idempotency_key, deal_id=body.deal_id, quantity=body.quantity)
    placed = await handlers.place_order(command, caller, deps)
    if placed.replayed:
        response.headers[IDEMPOTENT_REPLAY_HEADER] = "true"
    return order_out(placed.order)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=problem_responses(401, 404), summary="One order")
async def get_order(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> OrderOut:
    return order_out(await handlers.get_order(order_id, caller, deps))


@router.get(
    "/orders", response_model=OrderPage, responses=problem_responses(401, 403),
    summary="Orders, newest first: a customer's own, a merchant's for its staff, all for admins",
)
async def list_orders(
    caller: AuthenticatedCaller, deps: Deps, limit: PageLimit, offset: PageOffset = 0,
    status: OrderStatus | None = None, deal_id: Annotated[str | None, Query(max_length=64)] = None,
) -> OrderPage:
    orders = await handlers.list_orders(caller, status, deal_id, limit, offset, deps)
    return OrderPage(items=[order_out(o) for o in orders], limit=limit, offset=offset)


@router.post(
    "/orders/{order_id}/refund", response_model=OrderOut, responses=problem_responses(401, 403, 404, 409),
    summary="Refund a paid, unredeemed order (its buyer or an admin)",
)
async def refund_order(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> OrderOut:
    return order_out(await handlers.refund_order(handlers.RefundOrder(order_id), caller, deps))
