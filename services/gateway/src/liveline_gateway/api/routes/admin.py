"""What only admins do: add merchants (kept by the order service) and give their staff accounts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from liveline_shared.contracts.orders import MerchantOut, NewMerchant
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import AccountsDep, AdminCaller, OrderServiceDep
from ..schemas import AccountOut, Credentials
from ..upstream import relay

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/merchants", status_code=201, response_model=MerchantOut, responses=problem_responses(401, 403, 413, 422, 503),
    summary="Add a merchant",
)
async def create_merchant(body: NewMerchant, admin: AdminCaller, orders: OrderServiceDep) -> Response:
    return relay(await orders.request("POST", "/merchants", admin, json=body.model_dump(mode="json")))


@router.post(
    "/merchants/{merchant_id}/staff", status_code=201, response_model=AccountOut,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Create a staff account for a merchant",
)
async def create_staff(merchant_id: str, body: Credentials, _admin: AdminCaller, accounts: AccountsDep) -> AccountOut:
    command = handlers.CreateStaff(merchant_id=merchant_id, login=body.login, password=body.password)
    return AccountOut.of(await handlers.create_staff(command, accounts))
