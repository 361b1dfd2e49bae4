"""What only admins do: add merchants (kept by the order service) and give their staff accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from liveline_shared.contracts.orders import MerchantOut, NewMerchant
from liveline_shared.problems import problem_responses

from ...handlers import accounts as use_cases
from ...handlers import relay
from ..deps import AccountsDep, AdminCaller, OrderServiceClientDep
from ..schemas import AccountOut, NewAccount
from ...domain.accounts import ID_PATTERN
from ..upstream import answer_from

router = APIRouter(prefix="/admin", tags=["admin"])

# Only shown here; the domain checks it and answers invalid-merchant-id.
StaffMerchantId = Annotated[str, Path(json_schema_extra={"pattern": ID_PATTERN}, description="The merchant's id")]


@router.post(
    "/merchants", status_code=201, response_model=MerchantOut,
    responses=problem_responses(401, 403, 413, 422, 502, 503), summary="Add a merchant",
)
async def create_merchant(
    body: NewMerchant, admin: AdminCaller, orders: OrderServiceClientDep, request: Request
) -> Response:
    return answer_from(await relay.create_merchant(body.model_dump(mode="json"), admin, orders), request)


@router.post(
    "/merchants/{merchant_id}/staff", status_code=201, response_model=AccountOut,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Create a staff account for a merchant",
)
async def create_staff(
    merchant_id: StaffMerchantId, body: NewAccount, _admin: AdminCaller, accounts: AccountsDep
) -> AccountOut:
    command = use_cases.CreateStaff(merchant_id=merchant_id, login=body.login, password=body.password)
    return AccountOut.of(await use_cases.create_staff(command, accounts))
