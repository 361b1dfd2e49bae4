"""An order's slot offer: its buyer (and the merchant's staff, admins) read it; its buyer asks
for a fresh one and chooses slots from it."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.slots import Choose, OfferOut
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps
from ..views import offer_out

router = APIRouter(tags=["offers"])


def _out(view: handlers.OfferView) -> OfferOut:
    return offer_out(view.order, view.remaining, view.now, view.cutoff_minutes)


@router.get("/orders/{order_id}/offer", response_model=OfferOut, responses=problem_responses(401, 404, 409),
            summary="The order's current slot offer and choice")
async def get_offer(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> OfferOut:
    return _out(await handlers.get_offer(order_id, caller, deps))


@router.post("/orders/{order_id}/offer", response_model=OfferOut, responses=problem_responses(401, 404, 409, 503),
             summary="A fresh slot offer from now (the buyer); the current choice stays")
async def request_offer(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> OfferOut:
    return _out(await handlers.request_offer(order_id, caller, deps))


@router.put("/orders/{order_id}/choice", response_model=OfferOut, responses=problem_responses(401, 404, 409, 413, 422),
            summary="Choose one or several slots of the current offer (the buyer)")
async def choose(order_id: str, body: Choose, caller: AuthenticatedCaller, deps: Deps) -> OfferOut:
    return _out(await handlers.choose(order_id, body, caller, deps))
