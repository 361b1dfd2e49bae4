"""Merchants: admins add them; anyone reads them."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import OptionalCaller
from liveline_shared.contracts.orders import MerchantOut, MerchantPage, NewMerchant
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps, PageLimit, PageOffset
from ..views import merchant_out

router = APIRouter(tags=["merchants"])


@router.post(
    "/merchants", status_code=201, response_model=MerchantOut, responses=problem_responses(401, 403, 413, 422),
    summary="Add a merchant (admins)",
)
async def create_merchant(body: NewMerchant, caller: OptionalCaller, deps: Deps) -> MerchantOut:
    command = handlers.CreateMerchant(name=body.name, address=body.address, timezone=body.timezone, contact=body.contact)
    return merchant_out(await handlers.create_merchant(command, caller, deps))


@router.get("/merchants/{merchant_id}", response_model=MerchantOut, responses=problem_responses(404), summary="One merchant")
async def get_merchant(merchant_id: str, deps: Deps) -> MerchantOut:
    return merchant_out(await handlers.get_merchant(merchant_id, deps))


@router.get("/merchants", response_model=MerchantPage, summary="Merchants, oldest first")
async def list_merchants(deps: Deps, limit: PageLimit, offset: PageOffset = 0) -> MerchantPage:
    merchants = await handlers.list_merchants(limit, offset, deps)
    return MerchantPage(items=[merchant_out(m) for m in merchants], limit=limit, offset=offset)
