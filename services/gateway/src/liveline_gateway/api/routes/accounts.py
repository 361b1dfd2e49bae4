"""Accounts: customers register themselves; anyone logged in reads their own account."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.problems import problem_responses

from ...handlers import accounts as use_cases
from ..deps import AccountsDep, ClientAddress, CurrentCaller
from ..schemas import AccountOut, NewAccount

router = APIRouter(tags=["accounts"])


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, responses=problem_responses(409, 413, 422, 429, 503),
    summary="Register a customer account",
    description="At most a few registrations per client address and hour (429 with Retry-After beyond); "
    "503 `busy` with Retry-After when too many passwords are being hashed at once.",
)
async def register(body: NewAccount, accounts: AccountsDep, address: ClientAddress) -> AccountOut:
    command = use_cases.Register(login=body.login, password=body.password, client_address=address)
    return AccountOut.of(await use_cases.register(command, accounts))


@router.get("/me", response_model=AccountOut, responses=problem_responses(401), summary="The caller's own account")
async def me(caller: CurrentCaller, accounts: AccountsDep) -> AccountOut:
    return AccountOut.of(await use_cases.get_account(caller.account_id, accounts))
