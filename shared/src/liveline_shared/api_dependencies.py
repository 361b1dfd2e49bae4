"""FastAPI dependencies every service's API shares: the caller the gateway names, the internal
token that proves it was the gateway, the Idempotency-Key header, pagination, and the router
that puts a service's routes behind the internal token."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from .callers import CALLER_ID_HEADER, CALLER_MERCHANT_HEADER, CALLER_ROLE_HEADER, ROLES, TOKEN_HEADER, Caller
from .contracts.orders import IDEMPOTENCY_KEY_HEADER
from .problems import Problem


def internal_token_checker(expected_token: str):  # noqa: ANN201 - a FastAPI dependency factory
    """A dependency that refuses any request without the shared internal token."""

    def check(token: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None) -> None:
        if token is None or not hmac.compare_digest(token.encode(), expected_token.encode()):
            raise Problem(401, "internal-unauthenticated", "Internal token missing or wrong")

    return check


def caller_from_headers(
    account_id: Annotated[str | None, Header(alias=CALLER_ID_HEADER)] = None,
    role: Annotated[str | None, Header(alias=CALLER_ROLE_HEADER)] = None,
    merchant_id: Annotated[str | None, Header(alias=CALLER_MERCHANT_HEADER)] = None,
) -> Caller | None:
    """The caller named by the gateway, or None for an anonymous request."""
    if account_id is None:
        return None
    if role not in ROLES:
        raise Problem(401, "internal-unauthenticated", "Unknown caller role")
    return Caller(account_id=account_id, role=role, merchant_id=merchant_id)  # type: ignore[arg-type]


OptionalCaller = Annotated[Caller | None, Depends(caller_from_headers)]


def require_caller(caller: OptionalCaller) -> Caller:
    if caller is None:
        raise Problem(401, "unauthenticated", "Authentication required")
    return caller


AuthenticatedCaller = Annotated[Caller, Depends(require_caller)]


IdempotencyKey = Annotated[
    str,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER, min_length=1, max_length=200,
        description="A key of the client's choosing; retrying with it never places a second order.",
    ),
]

MAX_PAGE_LIMIT = 100
PageLimitQuery = Annotated[
    int | None, Query(ge=1, le=MAX_PAGE_LIMIT, description="How many items at most (the service's default when absent).")
]
PageOffset = Annotated[int, Query(ge=0, le=100_000, description="How many items to skip.")]


def internal_api(internal_token: str, routers: Iterable[APIRouter]) -> APIRouter:
    """A service's internal HTTP API: its resources' routers, every route behind the internal token."""
    api = APIRouter(dependencies=[Depends(internal_token_checker(internal_token))])
    for router in routers:
        api.include_router(router)
    return api
