"""Accounts: customers register themselves; anyone logged in reads their own account."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import AccountsDep, CurrentCaller
from ..schemas import AccountOut, Credentials

router = APIRouter(tags=["accounts"])


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, responses=problem_responses(409, 413, 422),
    summary="Register a customer account",
)
async def register(body: Credentials, accounts: AccountsDep) -> AccountOut:
    account = await handlers.register(handlers.Register(login=body.login, password=body.password), accounts)
    return AccountOut.of(account)


@router.get("/me", response_model=AccountOut, responses=problem_responses(401), summary="The caller's own account")
async def me(caller: CurrentCaller, accounts: AccountsDep) -> AccountOut:
    return AccountOut.of(await handlers.get_account(caller.account_id, accounts))
