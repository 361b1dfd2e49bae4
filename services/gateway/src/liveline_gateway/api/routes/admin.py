"""What only admins do: give a merchant's staff their accounts."""

from __future__ import annotations

from fastapi import APIRouter

from ... import handlers
from ..deps import AccountsDep, AdminCaller
from ..problems import problems
from ..schemas import AccountOut, Credentials

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/merchants/{merchant_id}/staff", status_code=201, response_model=AccountOut,
    responses=problems(401, 403, 404, 409, 422), summary="Create a staff account for a merchant",
)
async def create_staff(merchant_id: str, body: Credentials, _admin: AdminCaller, accounts: AccountsDep) -> AccountOut:
    command = handlers.CreateStaff(merchant_id=merchant_id, login=body.login, password=body.password)
    return AccountOut.of(await handlers.create_staff(command, accounts))
