"""Usage-time slots, relayed to the slots service: anyone reads a merchant's slot policy and its
staff replace it; a buyer reads the offer of an order, asks for a fresh one and chooses one or
several slots. To anyone else an order's offer does not exist (404)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from liveline_shared.contracts.slots import Choose, OfferOut, SlotPolicyIn, SlotPolicyOut
from liveline_shared.problems import problem_responses

from ...handlers import slots as relay
from ..deps import CurrentCaller, OptionalCaller, OrderServiceClientDep, SlotsServiceDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["slots"])


@router.get(
    "/merchants/{merchant_id}/slot-policy", response_model=SlotPolicyOut,
    responses=problem_responses(401, 404, 422, 502, 503),
    summary="A merchant's slot policy: time zone, meal periods, days ahead, closed days, capacity, cut-off",
)
async def get_slot_policy(
    merchant_id: ObjectId, caller: OptionalCaller, slots: SlotsServiceDep, request: Request
) -> Response:
    return answer_from(await relay.get_policy(merchant_id, caller, slots), request)


@router.put(
    "/merchants/{merchant_id}/slot-policy", response_model=SlotPolicyOut,
    responses=problem_responses(401, 403, 404, 413, 422, 502, 503),
    summary="Replace a merchant's slot policy (its staff, admins)",
)
async def put_slot_policy(
    merchant_id: ObjectId, body: SlotPolicyIn, caller: CurrentCaller, slots: SlotsServiceDep, request: Request
) -> Response:
    return answer_from(await relay.put_policy(merchant_id, body.model_dump(mode="json"), caller, slots), request)


@router.get(
    "/orders/{order_id}/offer", response_model=OfferOut, responses=problem_responses(401, 404, 409, 422, 502, 503),
    summary="The order's usage-time slot offer and the slots chosen (its buyer, the merchant's staff, admins)",
    description="Right after the purchase the offer is being built: the answer waits for it (a few seconds at "
    "most, then 404 offer-not-found). 409 order-closed once the order is redeemed, refunded or expired.",
)
async def get_offer(
    order_id: ObjectId, caller: CurrentCaller, slots: SlotsServiceDep, orders: OrderServiceClientDep, request: Request
) -> Response:
    wait_s = request.app.state.offer_wait_s
    return answer_from(await relay.get_offer(order_id, caller, slots, orders, wait_s=wait_s), request)


@router.post(
    "/orders/{order_id}/offer", response_model=OfferOut, responses=problem_responses(401, 404, 409, 422, 502, 503),
    summary="A fresh slot offer from now (the buyer); slots chosen before stay chosen",
)
async def request_offer(order_id: ObjectId, caller: CurrentCaller, slots: SlotsServiceDep, request: Request) -> Response:
    return answer_from(await relay.request_offer(order_id, caller, slots), request)


@router.put(
    "/orders/{order_id}/choice", response_model=OfferOut,
    responses=problem_responses(401, 404, 409, 413, 422, 502, 503),
    summary="Choose one or several slots of the current offer (the buyer); replaces an earlier choice",
)
async def choose_slots(
    order_id: ObjectId, body: Choose, caller: CurrentCaller, slots: SlotsServiceDep, request: Request
) -> Response:
    return answer_from(await relay.choose(order_id, body.model_dump(mode="json"), caller, slots), request)
