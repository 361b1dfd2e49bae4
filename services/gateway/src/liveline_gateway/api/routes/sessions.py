"""Sessions: log in for an access and refresh token pair, refresh it, log out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from liveline_shared.problems import problem_responses

from ...handlers import accounts as use_cases
from ..deps import AccountsDep, ClientAddress
from ..schemas import Credentials, RefreshTokenIn, SessionOut

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.post(
    "", status_code=201, response_model=SessionOut, responses=problem_responses(401, 413, 422, 429, 503),
    summary="Log in",
)
async def log_in(body: Credentials, accounts: AccountsDep, address: ClientAddress) -> SessionOut:
    command = use_cases.LogIn(login=body.login, password=body.password, client_address=address)
    return SessionOut.of(await use_cases.log_in(command, accounts))


@router.post(
    "/refresh", response_model=SessionOut, responses=problem_responses(401, 422),
    summary="Exchange a refresh token (once) for a new access and refresh token",
)
async def refresh(body: RefreshTokenIn, accounts: AccountsDep) -> SessionOut:
    return SessionOut.of(await use_cases.refresh(use_cases.Refresh(refresh_token=body.refresh_token), accounts))


@router.post(
    "/logout", status_code=204, response_class=Response, responses=problem_responses(401, 422),
    summary="End the session the refresh token belongs to",
)
async def log_out(body: RefreshTokenIn, accounts: AccountsDep) -> Response:
    await use_cases.log_out(use_cases.LogOut(refresh_token=body.refresh_token), accounts)
    return Response(status_code=204)
