"""FastAPI dependencies of the gateway's routes, as Annotated aliases (async: none of them blocks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from liveline_shared.callers import Caller
from liveline_shared.problems import Problem

from ..adapters.upstream import UpstreamClient
from ..handlers.accounts import Accounts


async def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


AccountsDep = Annotated[Accounts, Depends(_accounts)]

BEARER = "HTTPBearer"
# The same scheme for routes that anyone may call: api/openapi.py documents their token as
# optional (`security: [{}, {HTTPBearer: []}]`) and drops this name from the document.
OPTIONAL_BEARER = "OptionalBearer"
# auto_error=False: a missing token is answered below as a problem document, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, scheme_name=BEARER, description="The access token from POST /v1/sessions")
_optional_bearer = HTTPBearer(auto_error=False, scheme_name=OPTIONAL_BEARER)


async def _current_caller(
    accounts: AccountsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None:
        raise Problem(
            401, "unauthenticated", "Authentication required", "Send `Authorization: Bearer <access token>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # InvalidToken and TokenExpired become 401 problems (api/problems.py).
    return accounts.access_tokens.caller(credentials.credentials)


CurrentCaller = Annotated[Caller, Depends(_current_caller)]


async def _optional_caller(
    accounts: AccountsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)]
) -> Caller | None:
    # Anyone may call these routes, but a token that is sent must be valid (drafts show to managers).
    return None if credentials is None else accounts.access_tokens.caller(credentials.credentials)


OptionalCaller = Annotated[Caller | None, Depends(_optional_caller)]


def _upstream(service: str):  # noqa: ANN202 - a FastAPI dependency
    async def client(request: Request) -> UpstreamClient:
        return request.app.state.upstreams[service]

    return client


# The clients of the internal services whose routes the gateway relays (bootstrap.build_upstreams).
OrderServiceClientDep = Annotated[UpstreamClient, Depends(_upstream("order"))]
SlotsServiceDep = Annotated[UpstreamClient, Depends(_upstream("slots"))]
QueueNotifierDep = Annotated[UpstreamClient, Depends(_upstream("queue-notifier"))]
MediaServiceDep = Annotated[UpstreamClient, Depends(_upstream("media"))]


async def _admin_caller(caller: CurrentCaller) -> Caller:
    if not caller.is_admin:
        raise Problem(403, "forbidden", "Not allowed", "Only an admin may do this.")
    return caller


AdminCaller = Annotated[Caller, Depends(_admin_caller)]


async def _staff_caller(caller: CurrentCaller) -> Caller:
    if caller.role != "staff" or caller.merchant_id is None:
        raise Problem(403, "forbidden", "Not allowed", "Only a merchant's staff may do this.")
    return caller


StaffCaller = Annotated[Caller, Depends(_staff_caller)]


async def client_address(request: Request) -> str:
    """The client's address as uvicorn saw it (it honours X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
