"""Who is calling, as the gateway tells the internal services.

The gateway authenticates the user (JWT) and calls a service over HTTP with the caller's id,
role and merchant in headers, signed by a shared internal token. Services trust only requests
that carry that token, and make every object-level decision ("is this order yours?") themselves,
since they own the objects.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Header
from pydantic import BaseModel, ConfigDict

from .problems import Problem

Role = Literal["customer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("customer", "staff", "admin")

TOKEN_HEADER = "X-Liveline-Internal-Token"
CALLER_ID_HEADER = "X-Liveline-Caller-Id"
CALLER_ROLE_HEADER = "X-Liveline-Caller-Role"
CALLER_MERCHANT_HEADER = "X-Liveline-Caller-Merchant"


class Caller(BaseModel):
    """An authenticated account: a customer, the staff of one merchant, or an admin."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    role: Role
    merchant_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def is_staff_of(self, merchant_id: str) -> bool:
        return self.role == "staff" and self.merchant_id == merchant_id

    def headers(self, internal_token: str) -> dict[str, str]:
        headers = {TOKEN_HEADER: internal_token, CALLER_ID_HEADER: self.account_id, CALLER_ROLE_HEADER: self.role}
        if self.merchant_id:
            headers[CALLER_MERCHANT_HEADER] = self.merchant_id
        return headers


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
