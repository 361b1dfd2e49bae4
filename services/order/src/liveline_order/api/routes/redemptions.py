"""Redemptions: a merchant's staff redeem a buyer's voucher, once."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.orders import OrderOut, Redeem
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps
from ..views import order_out

router = APIRouter(tags=["redemptions"])


@router.post(
    "/redemptions", response_model=OrderOut, responses=problem_responses(401, 403, 404, 409, 413, 422),
    summary="Redeem a voucher (the staff of its merchant)",
)
async def redeem(body: Redeem, caller: AuthenticatedCaller, deps: Deps) -> OrderOut:
    return order_out(await handlers.redeem_voucher(handlers.RedeemVoucher(code=body.code), caller, deps))
